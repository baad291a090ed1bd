//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 (F + DQ) twins of the hottest element-wise kernels: 16 float32
// lanes per zmm register, constants held in Z16..Z28, the ragged tail
// through the same instructions with mask registers. Each element takes
// exactly the operations of the AVX2 kernel (vecmath_amd64.h:
// VRNDSCALEPS $0 = VROUNDPS $0, VPMOVD2M + VBLENDMPS = VBLENDVPS on the
// sign bit, the same fused multiply-adds in the same order), so AVX2 and
// AVX-512 machines compute the same bits; the reductions keep the AVX2
// lane layout (vecmath_bnact_amd64.s) for the same reason.

// LOADCONSTS: Z16 = log2e, Z17 = ln2Hi, Z18 = ln2Lo, Z19..Z24 = expC0..5,
// Z25 = 1, Z26 = 127 (int32), Z27 = sign bit, Z28 = expLo.
#define LOADCONSTS \
	VBROADCASTSS ·vmLog2e(SB), Z16; \
	VBROADCASTSS ·vmLn2Hi(SB), Z17; \
	VBROADCASTSS ·vmLn2Lo(SB), Z18; \
	VBROADCASTSS ·vmExpC0(SB), Z19; \
	VBROADCASTSS ·vmExpC1(SB), Z20; \
	VBROADCASTSS ·vmExpC2(SB), Z21; \
	VBROADCASTSS ·vmExpC3(SB), Z22; \
	VBROADCASTSS ·vmExpC4(SB), Z23; \
	VBROADCASTSS ·vmExpC5(SB), Z24; \
	VBROADCASTSS ·vmOne(SB), Z25; \
	VPBROADCASTD ·vmBias(SB), Z26; \
	VPBROADCASTD ·vmSign(SB), Z27; \
	VBROADCASTSS ·vmExpLo(SB), Z28

// EXP16(X, N, P, T): X = e^X for X in [expLo, expHi] or NaN (EXP8).
#define EXP16(X, N, P, T) \
	VMULPS       Z16, X, N; \
	VRNDSCALEPS  $0, N, N; \
	VFNMADD231PS Z17, N, X; \
	VFNMADD231PS Z18, N, X; \
	VMOVAPS      Z19, P; \
	VFMADD213PS  Z20, X, P; \
	VFMADD213PS  Z21, X, P; \
	VFMADD213PS  Z22, X, P; \
	VFMADD213PS  Z23, X, P; \
	VFMADD213PS  Z24, X, P; \
	VMULPS       X, X, T; \
	VFMADD213PS  X, T, P; \
	VADDPS       Z25, P, P; \
	VCVTPS2DQ    N, N; \
	VPSRAD       $1, N, T; \
	VPSUBD       T, N, N; \
	VPADDD       Z26, T, T; \
	VPSLLD       $23, T, T; \
	VPADDD       Z26, N, N; \
	VPSLLD       $23, N, N; \
	VMULPS       T, P, P; \
	VMULPS       N, P, X

// SIGPARTS16: from Z0 = x, Z1 = e = e^-|x| and Z2 = r = 1/(1+e), K1 =
// the sign bits of x; clobbers Z3..Z5 (SIGPARTS8).
#define SIGPARTS16 \
	VORPS    Z27, Z0, Z1; \
	VMAXPS   Z1, Z28, Z1; \
	EXP16(Z1, Z3, Z4, Z5); \
	VADDPS   Z25, Z1, Z2; \
	VDIVPS   Z2, Z25, Z2; \
	VPMOVD2M Z0, K1

// SILUBODY16: Z0 = Z0·σ(Z0) (SILUBODY8).
#define SILUBODY16 \
	SIGPARTS16; \
	VMULPS    Z2, Z1, Z3; \
	VBLENDMPS Z3, Z2, K1, Z4; \
	VMULPS    Z4, Z0, Z0

// SILUGRADTERM16: Z4 = Z9 (g)·s·(1 + x·c) from Z0 = x (SILUGRADTERM8).
#define SILUGRADTERM16 \
	SIGPARTS16; \
	VMULPS    Z2, Z1, Z3; \
	VBLENDMPS Z3, Z2, K1, Z4; \
	VBLENDMPS Z2, Z3, K1, Z5; \
	VMULPS    Z5, Z0, Z5; \
	VADDPS    Z25, Z5, Z5; \
	VMULPS    Z5, Z4, Z4; \
	VMULPS    Z4, Z9, Z4

// TAILMASK: K2 = the lanes i < CX (CX in 1..15); clobbers AX.
#define TAILMASK \
	MOVL  $-1, AX; \
	BZHIL CX, AX, AX; \
	KMOVW AX, K2

// func scaleShiftSiLUAVX512(y, x []float32, a, b float32)
//
//	for i, v := range x {
//		z := float32(a*v) + b
//		y[i] = z * sigmoid32(z)
//	}
TEXT ·scaleShiftSiLUAVX512(SB), NOSPLIT, $0-56
	MOVQ         y_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS a+48(FP), Z12
	VBROADCASTSS b+52(FP), Z13
	LOADCONSTS
	JMP          sss_check

sss_loop:
	VMULPS  (SI), Z12, Z0
	VADDPS  Z13, Z0, Z0
	SILUBODY16
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX

sss_check:
	CMPQ  CX, $16
	JAE   sss_loop
	TESTQ CX, CX
	JZ    sss_done
	TAILMASK
	VMOVUPS.Z (SI), K2, Z0
	VMULPS    Z0, Z12, Z0
	VADDPS    Z13, Z0, Z0
	SILUBODY16
	VMOVUPS   Z0, K2, (DI)

sss_done:
	VZEROUPPER
	RET

// func siluAVX512(y, x []float32)
//
//	for i, v := range x {
//		y[i] = v * sigmoid32(v)
//	}
TEXT ·siluAVX512(SB), NOSPLIT, $0-48
	MOVQ y_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	LOADCONSTS
	JMP  silu_check

silu_loop:
	VMOVUPS (SI), Z0
	SILUBODY16
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX

silu_check:
	CMPQ  CX, $16
	JAE   silu_loop
	TESTQ CX, CX
	JZ    silu_done
	TAILMASK
	VMOVUPS.Z (SI), K2, Z0
	SILUBODY16
	VMOVUPS   Z0, K2, (DI)

silu_done:
	VZEROUPPER
	RET

// func siluGradToAVX512(gx, g, x []float32)
//
//	for i, v := range x {
//		gx[i] = g[i] * SiLU'(v)
//	}
TEXT ·siluGradToAVX512(SB), NOSPLIT, $0-72
	MOVQ gx_base+0(FP), DI
	MOVQ g_base+24(FP), SI
	MOVQ x_base+48(FP), DX
	MOVQ x_len+56(FP), CX
	LOADCONSTS
	JMP  sgt_check

sgt_loop:
	VMOVUPS (DX), Z0
	VMOVUPS (SI), Z9
	SILUGRADTERM16
	VMOVUPS Z4, (DI)
	ADDQ    $64, DX
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX

sgt_check:
	CMPQ  CX, $16
	JAE   sgt_loop
	TESTQ CX, CX
	JZ    sgt_done
	TAILMASK
	VMOVUPS.Z (DX), K2, Z0
	VMOVUPS.Z (SI), K2, Z9
	SILUGRADTERM16
	VMOVUPS   Z4, K2, (DI)

sgt_done:
	VZEROUPPER
	RET

// func scaleShiftSiLUGradAVX512(gz, g, x []float32, a, b, c float32) (sg, sgx float32)
//
// As scaleShiftSiLUGradAVX2: Z8 and Z10 accumulate Σgz and Σgz·(x−c),
// lane j taking the elements i ≡ j (mod 16), lanes 0-7 being AVX2's A and
// 8-15 its B. In the tail the terms past the end are zeroed and added
// only into the halves the AVX2 kernel touches (K3), so even the sign of
// a zero sum matches.
TEXT ·scaleShiftSiLUGradAVX512(SB), NOSPLIT, $0-96
	MOVQ         gz_base+0(FP), DI
	MOVQ         g_base+24(FP), SI
	MOVQ         x_base+48(FP), DX
	MOVQ         x_len+56(FP), CX
	VBROADCASTSS a+72(FP), Z12
	VBROADCASTSS b+76(FP), Z13
	VBROADCASTSS c+80(FP), Z14
	LOADCONSTS
	VXORPS       Z8, Z8, Z8
	VXORPS       Z10, Z10, Z10
	JMP          ssg_check

ssg_loop:
	VMOVUPS     (DX), Z6
	VMULPS      Z12, Z6, Z0
	VADDPS      Z13, Z0, Z0
	VSUBPS      Z14, Z6, Z6
	VMOVUPS     (SI), Z9
	SILUGRADTERM16
	VMOVUPS     Z4, (DI)
	VADDPS      Z4, Z8, Z8
	VFMADD231PS Z6, Z4, Z10
	ADDQ        $64, DX
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX

ssg_check:
	CMPQ  CX, $16
	JAE   ssg_loop
	TESTQ CX, CX
	JZ    ssg_reduce
	TAILMASK
	MOVL  $0xff, BX
	MOVL  $0xffff, AX
	CMPQ  CX, $8
	CMOVLHI AX, BX
	KMOVW BX, K3
	VMOVUPS.Z   (DX), K2, Z6
	VMULPS      Z12, Z6, Z0
	VADDPS      Z13, Z0, Z0
	VSUBPS.Z    Z14, Z6, K2, Z6
	VMOVUPS.Z   (SI), K2, Z9
	SILUGRADTERM16
	VMOVAPS.Z   Z4, K2, Z4
	VMOVUPS     Z4, K2, (DI)
	VADDPS      Z4, Z8, K3, Z8
	VFMADD231PS Z6, Z4, K3, Z10

ssg_reduce:
	VEXTRACTF32X8 $1, Z8, Y1
	VADDPS        Y1, Y8, Y8
	VEXTRACTF32X8 $1, Z10, Y1
	VADDPS        Y1, Y10, Y10
	VEXTRACTF128  $1, Y8, X9
	VADDPS        X9, X8, X8
	VPERMILPS     $0x4e, X8, X9
	VADDPS        X9, X8, X8
	VPERMILPS     $0xb1, X8, X9
	VADDPS        X9, X8, X8
	VEXTRACTF128  $1, Y10, X9
	VADDPS        X9, X10, X10
	VPERMILPS     $0x4e, X10, X9
	VADDPS        X9, X10, X10
	VPERMILPS     $0xb1, X10, X9
	VADDPS        X9, X10, X10
	VMOVSS        X8, sg+88(FP)
	VMOVSS        X10, sgx+92(FP)
	VZEROUPPER
	RET

// Plane-wise forms (vecmath_planes.go): len(a) planes of hw values one
// after another, plane p with its own a[p], b[p] (and c[p], sums sg[p],
// sgx[p]). Each plane runs the single-plane kernel's instructions above,
// so it gets the same bits; the constants, and the tail masks (the same
// for every plane), are set up once a call instead of once a plane.

// func scaleShiftSiLUPlanesAVX512(y, x []float32, hw int, a, b []float32)
TEXT ·scaleShiftSiLUPlanesAVX512(SB), NOSPLIT, $0-104
	MOVQ y_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ hw+48(FP), R9
	MOVQ a_base+56(FP), R10
	MOVQ a_len+64(FP), R11
	MOVQ b_base+80(FP), R12
	LOADCONSTS
	MOVQ R9, CX
	ANDQ $15, CX
	TAILMASK
	XORQ R13, R13
	JMP  sssp_plane_check

sssp_plane:
	VBROADCASTSS (R10)(R13*4), Z12
	VBROADCASTSS (R12)(R13*4), Z13
	MOVQ         R9, CX
	JMP          sssp_check

sssp_loop:
	VMOVUPS (SI), Z0
	VMULPS  Z12, Z0, Z0
	VADDPS  Z13, Z0, Z0
	SILUBODY16
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX

sssp_check:
	CMPQ  CX, $16
	JAE   sssp_loop
	TESTQ CX, CX
	JZ    sssp_next
	VMOVUPS.Z (SI), K2, Z0
	VMULPS    Z0, Z12, Z0
	VADDPS    Z13, Z0, Z0
	SILUBODY16
	VMOVUPS   Z0, K2, (DI)
	LEAQ      (SI)(CX*4), SI
	LEAQ      (DI)(CX*4), DI

sssp_next:
	INCQ R13

sssp_plane_check:
	CMPQ R13, R11
	JB   sssp_plane
	VZEROUPPER
	RET

// func scaleShiftSiLUGradPlanesAVX512(sg, sgx, gz, g, x []float32, hw int, a, b, c []float32)
TEXT ·scaleShiftSiLUGradPlanesAVX512(SB), NOSPLIT, $0-200
	MOVQ gz_base+48(FP), DI
	MOVQ g_base+72(FP), SI
	MOVQ x_base+96(FP), DX
	MOVQ hw+120(FP), R9
	MOVQ a_base+128(FP), R10
	MOVQ a_len+136(FP), R11
	MOVQ b_base+152(FP), R12
	LOADCONSTS
	// K2: the tail's lanes; K3: the AVX2 halves the tail touches.
	MOVQ    R9, CX
	ANDQ    $15, CX
	TAILMASK
	MOVL    $0xff, BX
	MOVL    $0xffff, AX
	CMPQ    CX, $8
	CMOVLHI AX, BX
	KMOVW   BX, K3
	MOVQ    c_base+176(FP), AX
	MOVQ    sg_base+0(FP), BX
	MOVQ    sgx_base+24(FP), R8
	XORQ    R13, R13
	JMP     ssgp_plane_check

ssgp_plane:
	VBROADCASTSS (R10)(R13*4), Z12
	VBROADCASTSS (R12)(R13*4), Z13
	VBROADCASTSS (AX)(R13*4), Z14
	VXORPS       Z8, Z8, Z8
	VXORPS       Z10, Z10, Z10
	MOVQ         R9, CX
	JMP          ssgp_check

ssgp_loop:
	VMOVUPS     (DX), Z6
	VMULPS      Z12, Z6, Z0
	VADDPS      Z13, Z0, Z0
	VSUBPS      Z14, Z6, Z6
	VMOVUPS     (SI), Z9
	SILUGRADTERM16
	VMOVUPS     Z4, (DI)
	VADDPS      Z4, Z8, Z8
	VFMADD231PS Z6, Z4, Z10
	ADDQ        $64, DX
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX

ssgp_check:
	CMPQ  CX, $16
	JAE   ssgp_loop
	TESTQ CX, CX
	JZ    ssgp_reduce
	VMOVUPS.Z   (DX), K2, Z6
	VMULPS      Z12, Z6, Z0
	VADDPS      Z13, Z0, Z0
	VSUBPS.Z    Z14, Z6, K2, Z6
	VMOVUPS.Z   (SI), K2, Z9
	SILUGRADTERM16
	VMOVAPS.Z   Z4, K2, Z4
	VMOVUPS     Z4, K2, (DI)
	VADDPS      Z4, Z8, K3, Z8
	VFMADD231PS Z6, Z4, K3, Z10
	LEAQ        (DX)(CX*4), DX
	LEAQ        (SI)(CX*4), SI
	LEAQ        (DI)(CX*4), DI

ssgp_reduce:
	VEXTRACTF32X8 $1, Z8, Y1
	VADDPS        Y1, Y8, Y8
	VEXTRACTF32X8 $1, Z10, Y1
	VADDPS        Y1, Y10, Y10
	VEXTRACTF128  $1, Y8, X9
	VADDPS        X9, X8, X8
	VPERMILPS     $0x4e, X8, X9
	VADDPS        X9, X8, X8
	VPERMILPS     $0xb1, X8, X9
	VADDPS        X9, X8, X8
	VEXTRACTF128  $1, Y10, X9
	VADDPS        X9, X10, X10
	VPERMILPS     $0x4e, X10, X9
	VADDPS        X9, X10, X10
	VPERMILPS     $0xb1, X10, X9
	VADDPS        X9, X10, X10
	VMOVSS        X8, (BX)(R13*4)
	VMOVSS        X10, (R8)(R13*4)
	INCQ          R13

ssgp_plane_check:
	CMPQ R13, R11
	JB   ssgp_plane
	VZEROUPPER
	RET

// func scaleShiftPlanesAVX512(y, x []float32, hw int, a, b []float32)
//
// As scaleShiftAVX2 (a product, then a sum), 16 lanes, masked tails.
TEXT ·scaleShiftPlanesAVX512(SB), NOSPLIT, $0-104
	MOVQ y_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ hw+48(FP), R9
	MOVQ a_base+56(FP), R10
	MOVQ a_len+64(FP), R11
	MOVQ b_base+80(FP), R12
	MOVQ R9, CX
	ANDQ $15, CX
	TAILMASK
	XORQ R13, R13
	JMP  ssp_plane_check

ssp_plane:
	VBROADCASTSS (R10)(R13*4), Z12
	VBROADCASTSS (R12)(R13*4), Z13
	MOVQ         R9, CX
	JMP          ssp_check

ssp_loop:
	VMULPS  (SI), Z12, Z0
	VADDPS  Z13, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX

ssp_check:
	CMPQ  CX, $16
	JAE   ssp_loop
	TESTQ CX, CX
	JZ    ssp_next
	VMOVUPS.Z (SI), K2, Z0
	VMULPS    Z0, Z12, Z0
	VADDPS    Z13, Z0, Z0
	VMOVUPS   Z0, K2, (DI)
	LEAQ      (SI)(CX*4), SI
	LEAQ      (DI)(CX*4), DI

ssp_next:
	INCQ R13

ssp_plane_check:
	CMPQ R13, R11
	JB   ssp_plane
	VZEROUPPER
	RET

// COMBBODY16: Z2 = a·Z1 + (b·(Z2 − c) + d), Z8..Z11 = a, b, c, d: the
// AVX2 kernel's COMBBODY8 on 16 lanes.
#define COMBBODY16 \
	VSUBPS      Z10, Z2, Z2; \
	VFMADD213PS Z11, Z9, Z2; \
	VFMADD231PS Z8, Z1, Z2

// func combinePlanesAVX512(z, x, y []float32, hw int, a, b, c, d []float32)
//
// As combineAVX2 on each plane (the same two fused multiply-adds a lane).
TEXT ·combinePlanesAVX512(SB), NOSPLIT, $0-176
	MOVQ z_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	MOVQ hw+72(FP), R9
	MOVQ a_base+80(FP), R10
	MOVQ a_len+88(FP), R11
	MOVQ b_base+104(FP), R12
	MOVQ R9, CX
	ANDQ $15, CX
	TAILMASK
	MOVQ c_base+128(FP), AX
	MOVQ d_base+152(FP), BX
	XORQ R13, R13
	JMP  combp_plane_check

combp_plane:
	VBROADCASTSS (R10)(R13*4), Z8
	VBROADCASTSS (R12)(R13*4), Z9
	VBROADCASTSS (AX)(R13*4), Z10
	VBROADCASTSS (BX)(R13*4), Z11
	MOVQ         R9, CX
	JMP          combp_check

combp_loop:
	VMOVUPS (SI), Z1
	VMOVUPS (DX), Z2
	COMBBODY16
	VMOVUPS Z2, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX

combp_check:
	CMPQ  CX, $16
	JAE   combp_loop
	TESTQ CX, CX
	JZ    combp_next
	VMOVUPS.Z (SI), K2, Z1
	VMOVUPS.Z (DX), K2, Z2
	COMBBODY16
	VMOVUPS   Z2, K2, (DI)
	LEAQ      (SI)(CX*4), SI
	LEAQ      (DX)(CX*4), DX
	LEAQ      (DI)(CX*4), DI

combp_next:
	INCQ R13

combp_plane_check:
	CMPQ R13, R11
	JB   combp_plane
	VZEROUPPER
	RET

// func combineAddPlanesAVX512(z, x, y []float32, hw int, a, b, c, d []float32)
//
// As combineAddAVX2 on each plane: Combine's value, then + z.
TEXT ·combineAddPlanesAVX512(SB), NOSPLIT, $0-176
	MOVQ z_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	MOVQ hw+72(FP), R9
	MOVQ a_base+80(FP), R10
	MOVQ a_len+88(FP), R11
	MOVQ b_base+104(FP), R12
	MOVQ R9, CX
	ANDQ $15, CX
	TAILMASK
	MOVQ c_base+128(FP), AX
	MOVQ d_base+152(FP), BX
	XORQ R13, R13
	JMP  combap_plane_check

combap_plane:
	VBROADCASTSS (R10)(R13*4), Z8
	VBROADCASTSS (R12)(R13*4), Z9
	VBROADCASTSS (AX)(R13*4), Z10
	VBROADCASTSS (BX)(R13*4), Z11
	MOVQ         R9, CX
	JMP          combap_check

combap_loop:
	VMOVUPS (SI), Z1
	VMOVUPS (DX), Z2
	COMBBODY16
	VADDPS  (DI), Z2, Z2
	VMOVUPS Z2, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX

combap_check:
	CMPQ  CX, $16
	JAE   combap_loop
	TESTQ CX, CX
	JZ    combap_next
	VMOVUPS.Z (SI), K2, Z1
	VMOVUPS.Z (DX), K2, Z2
	COMBBODY16
	VMOVUPS.Z (DI), K2, Z3
	VADDPS    Z3, Z2, Z2
	VMOVUPS   Z2, K2, (DI)
	LEAQ      (SI)(CX*4), SI
	LEAQ      (DX)(CX*4), DX
	LEAQ      (DI)(CX*4), DI

combap_next:
	INCQ R13

combap_plane_check:
	CMPQ R13, R11
	JB   combap_plane
	VZEROUPPER
	RET

// func scaleToPlanesAVX512(y, x []float32, hw int, a []float32)
//
// As scaleToAVX2 on each plane: y = a[p]·x, one product.
TEXT ·scaleToPlanesAVX512(SB), NOSPLIT, $0-80
	MOVQ y_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ hw+48(FP), R9
	MOVQ a_base+56(FP), R10
	MOVQ a_len+64(FP), R11
	MOVQ R9, CX
	ANDQ $15, CX
	TAILMASK
	XORQ R13, R13
	JMP  stp_plane_check

stp_plane:
	VBROADCASTSS (R10)(R13*4), Z8
	MOVQ         R9, CX
	JMP          stp_check

stp_loop:
	VMULPS  (SI), Z8, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX

stp_check:
	CMPQ  CX, $16
	JAE   stp_loop
	TESTQ CX, CX
	JZ    stp_next
	VMOVUPS.Z (SI), K2, Z0
	VMULPS    Z0, Z8, Z0
	VMOVUPS   Z0, K2, (DI)
	LEAQ      (SI)(CX*4), SI
	LEAQ      (DI)(CX*4), DI

stp_next:
	INCQ R13

stp_plane_check:
	CMPQ R13, R11
	JB   stp_plane
	VZEROUPPER
	RET

// func axpyPlanesAVX512(y, x []float32, hw int, a []float32)
//
// As axpyAVX2 on each plane: y = a[p]·x + y, the product rounded first.
TEXT ·axpyPlanesAVX512(SB), NOSPLIT, $0-80
	MOVQ y_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ hw+48(FP), R9
	MOVQ a_base+56(FP), R10
	MOVQ a_len+64(FP), R11
	MOVQ R9, CX
	ANDQ $15, CX
	TAILMASK
	XORQ R13, R13
	JMP  axp_plane_check

axp_plane:
	VBROADCASTSS (R10)(R13*4), Z8
	MOVQ         R9, CX
	JMP          axp_check

axp_loop:
	VMULPS  (SI), Z8, Z0
	VADDPS  (DI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX

axp_check:
	CMPQ  CX, $16
	JAE   axp_loop
	TESTQ CX, CX
	JZ    axp_next
	VMOVUPS.Z (SI), K2, Z0
	VMULPS    Z0, Z8, Z0
	VMOVUPS.Z (DI), K2, Z2
	VADDPS    Z2, Z0, Z0
	VMOVUPS   Z0, K2, (DI)
	LEAQ      (SI)(CX*4), SI
	LEAQ      (DI)(CX*4), DI

axp_next:
	INCQ R13

axp_plane_check:
	CMPQ R13, R11
	JB   axp_plane
	VZEROUPPER
	RET

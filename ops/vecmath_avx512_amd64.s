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

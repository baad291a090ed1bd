//go:build amd64 && !purego

#include "textflag.h"
#include "vecmath_amd64.h"

// Plane-wise AVX2+FMA forms (vecmath_planes.go) of the single-plane AVX2
// kernels: len(a) planes of hw values one after another, plane p with its
// own a[p], b[p], ... (and sums sg[p], sgx[p]). Each plane runs the
// single-plane kernel's instructions (the same operand order, lanes,
// unrolling, tail and reduction tree: vecmath_bnact_amd64.s,
// vecmath_stats_amd64.s, vecmath_plain_amd64.s, vecmath_amd64.s), so it
// gets that kernel's bits; only the call, the checks and the constant
// loads are paid once a call instead of once a plane. The whole-vector
// loops advance the pointers; after a plane's masked tail of CX < 8
// values they step over it with LEAQ.

// PCOMBBODY8: combineAVX2's COMBBODY8 (vecmath_stats_amd64.s): Y0 =
// a·x + (b·(y − c) + d) from Y1 = x, Y2 = y; Y8..Y11 = a, b, c, d.
#define PCOMBBODY8 \
	VSUBPS      Y10, Y2, Y2; \
	VFMADD213PS Y11, Y9, Y2; \
	VFMADD231PS Y8, Y1, Y2; \
	VMOVAPS     Y2, Y0

// PSSGSTEP(OFF, SG, SGX): scaleShiftSiLUGradAVX2's SSGSTEP with a, b in
// Y13, Y14 and c at 0(SP).
#define PSSGSTEP(OFF, SG, SGX) \
	VMOVUPS     OFF(DX), Y6; \
	VMULPS      Y13, Y6, Y0; \
	VADDPS      Y14, Y0, Y0; \
	VSUBPS      0(SP), Y6, Y6; \
	VMOVUPS     OFF(SI), Y9; \
	SILUGRADTERM8; \
	VMOVUPS     Y4, OFF(DI); \
	VADDPS      Y4, SG, SG; \
	VFMADD231PS Y6, Y4, SGX

// PSSGTAIL(SG, SGX): SSGTAIL likewise, on the CX < 8 lanes at offset 0.
#define PSSGTAIL(SG, SGX) \
	TAIL8(CX); \
	VMASKMOVPS  (DX), Y7, Y6; \
	VMULPS      Y13, Y6, Y0; \
	VADDPS      Y14, Y0, Y0; \
	VSUBPS      0(SP), Y6, Y6; \
	VANDPS      Y7, Y6, Y6; \
	VMASKMOVPS  (SI), Y7, Y9; \
	SILUGRADTERM8; \
	VANDPS      Y7, Y4, Y4; \
	VMASKMOVPS  Y4, Y7, (DI); \
	VADDPS      Y4, SG, SG; \
	VFMADD231PS Y6, Y4, SGX

// func scaleShiftSiLUPlanesAVX2(y, x []float32, hw int, a, b []float32)
//
// As scaleShiftSiLUAVX2 on each plane.
TEXT ·scaleShiftSiLUPlanesAVX2(SB), NOSPLIT, $0-104
	MOVQ    y_base+0(FP), DI
	MOVQ    x_base+24(FP), SI
	MOVQ    hw+48(FP), R9
	MOVQ    a_base+56(FP), R10
	MOVQ    a_len+64(FP), R11
	MOVQ    b_base+80(FP), R12
	VMOVUPS ·vmExpLo(SB), Y15
	XORQ    R13, R13
	JMP     sssp2_plane_check

sssp2_plane:
	VBROADCASTSS (R10)(R13*4), Y12
	VBROADCASTSS (R12)(R13*4), Y13
	MOVQ         R9, CX
	JMP          sssp2_check

sssp2_loop:
	VMULPS  (SI), Y12, Y0
	VADDPS  Y13, Y0, Y0
	SILUBODY8
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

sssp2_check:
	CMPQ  CX, $8
	JAE   sssp2_loop
	TESTQ CX, CX
	JZ    sssp2_next
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y0
	VMULPS     Y0, Y12, Y0
	VADDPS     Y13, Y0, Y0
	SILUBODY8
	VMASKMOVPS Y0, Y7, (DI)
	LEAQ       (SI)(CX*4), SI
	LEAQ       (DI)(CX*4), DI

sssp2_next:
	INCQ R13

sssp2_plane_check:
	CMPQ R13, R11
	JB   sssp2_plane
	VZEROUPPER
	RET

// func scaleShiftSiLUGradPlanesAVX2(sg, sgx, gz, g, x []float32, hw int, a, b, c []float32)
//
// As scaleShiftSiLUGradAVX2 on each plane: the same two accumulator
// pairs (Y8, Y10 and Y11, Y12), the same tail placement, A + B, HSUM.
// c[p] is kept broadcast at 0(SP) (the single-plane kernel keeps a, b, c
// there; a memory or register operand gives the same bits).
TEXT ·scaleShiftSiLUGradPlanesAVX2(SB), NOSPLIT, $32-200
	MOVQ    gz_base+48(FP), DI
	MOVQ    g_base+72(FP), SI
	MOVQ    x_base+96(FP), DX
	MOVQ    hw+120(FP), R9
	MOVQ    a_base+128(FP), R10
	MOVQ    a_len+136(FP), R11
	MOVQ    b_base+152(FP), R12
	MOVQ    c_base+176(FP), AX
	MOVQ    sg_base+0(FP), BX
	MOVQ    sgx_base+24(FP), R8
	VMOVUPS ·vmExpLo(SB), Y15
	XORQ    R13, R13
	JMP     ssgp2_plane_check

ssgp2_plane:
	VBROADCASTSS (R10)(R13*4), Y13
	VBROADCASTSS (R12)(R13*4), Y14
	VBROADCASTSS (AX)(R13*4), Y0
	VMOVUPS      Y0, 0(SP)
	VXORPS       Y8, Y8, Y8
	VXORPS       Y10, Y10, Y10
	VXORPS       Y11, Y11, Y11
	VXORPS       Y12, Y12, Y12
	MOVQ         R9, CX
	JMP          ssgp2_check

ssgp2_loop:
	PSSGSTEP(0, Y8, Y10)
	PSSGSTEP(32, Y11, Y12)
	ADDQ $64, DX
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX

ssgp2_check:
	CMPQ CX, $16
	JAE  ssgp2_loop
	CMPQ CX, $8
	JB   ssgp2_short
	PSSGSTEP(0, Y8, Y10)
	ADDQ  $32, DX
	ADDQ  $32, SI
	ADDQ  $32, DI
	SUBQ  $8, CX
	TESTQ CX, CX
	JZ    ssgp2_reduce
	PSSGTAIL(Y11, Y12)
	JMP   ssgp2_skip

ssgp2_short:
	TESTQ CX, CX
	JZ    ssgp2_reduce
	PSSGTAIL(Y8, Y10)

ssgp2_skip:
	LEAQ (DX)(CX*4), DX
	LEAQ (SI)(CX*4), SI
	LEAQ (DI)(CX*4), DI

ssgp2_reduce:
	VADDPS Y11, Y8, Y8
	VADDPS Y12, Y10, Y10
	HSUM(Y8, X8, X9)
	HSUM(Y10, X10, X9)
	VMOVSS X8, (BX)(R13*4)
	VMOVSS X10, (R8)(R13*4)
	INCQ   R13

ssgp2_plane_check:
	CMPQ R13, R11
	JB   ssgp2_plane
	VZEROUPPER
	RET

// func combinePlanesAVX2(z, x, y []float32, hw int, a, b, c, d []float32)
//
// As combineAVX2 on each plane.
TEXT ·combinePlanesAVX2(SB), NOSPLIT, $0-176
	MOVQ z_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	MOVQ hw+72(FP), R9
	MOVQ a_base+80(FP), R10
	MOVQ a_len+88(FP), R11
	MOVQ b_base+104(FP), R12
	MOVQ c_base+128(FP), AX
	MOVQ d_base+152(FP), BX
	XORQ R13, R13
	JMP  combp2_plane_check

combp2_plane:
	VBROADCASTSS (R10)(R13*4), Y8
	VBROADCASTSS (R12)(R13*4), Y9
	VBROADCASTSS (AX)(R13*4), Y10
	VBROADCASTSS (BX)(R13*4), Y11
	MOVQ         R9, CX
	JMP          combp2_check

combp2_loop:
	VMOVUPS (SI), Y1
	VMOVUPS (DX), Y2
	PCOMBBODY8
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX

combp2_check:
	CMPQ  CX, $8
	JAE   combp2_loop
	TESTQ CX, CX
	JZ    combp2_next
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y1
	VMASKMOVPS (DX), Y7, Y2
	PCOMBBODY8
	VMASKMOVPS Y0, Y7, (DI)
	LEAQ       (SI)(CX*4), SI
	LEAQ       (DX)(CX*4), DX
	LEAQ       (DI)(CX*4), DI

combp2_next:
	INCQ R13

combp2_plane_check:
	CMPQ R13, R11
	JB   combp2_plane
	VZEROUPPER
	RET

// func combineAddPlanesAVX2(z, x, y []float32, hw int, a, b, c, d []float32)
//
// As combineAddAVX2 on each plane: Combine's value, then + z.
TEXT ·combineAddPlanesAVX2(SB), NOSPLIT, $0-176
	MOVQ z_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	MOVQ hw+72(FP), R9
	MOVQ a_base+80(FP), R10
	MOVQ a_len+88(FP), R11
	MOVQ b_base+104(FP), R12
	MOVQ c_base+128(FP), AX
	MOVQ d_base+152(FP), BX
	XORQ R13, R13
	JMP  combap2_plane_check

combap2_plane:
	VBROADCASTSS (R10)(R13*4), Y8
	VBROADCASTSS (R12)(R13*4), Y9
	VBROADCASTSS (AX)(R13*4), Y10
	VBROADCASTSS (BX)(R13*4), Y11
	MOVQ         R9, CX
	JMP          combap2_check

combap2_loop:
	VMOVUPS (SI), Y1
	VMOVUPS (DX), Y2
	PCOMBBODY8
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX

combap2_check:
	CMPQ  CX, $8
	JAE   combap2_loop
	TESTQ CX, CX
	JZ    combap2_next
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y1
	VMASKMOVPS (DX), Y7, Y2
	VMASKMOVPS (DI), Y7, Y3
	PCOMBBODY8
	VADDPS     Y3, Y0, Y0
	VMASKMOVPS Y0, Y7, (DI)
	LEAQ       (SI)(CX*4), SI
	LEAQ       (DX)(CX*4), DX
	LEAQ       (DI)(CX*4), DI

combap2_next:
	INCQ R13

combap2_plane_check:
	CMPQ R13, R11
	JB   combap2_plane
	VZEROUPPER
	RET

// func scaleShiftPlanesAVX2(y, x []float32, hw int, a, b []float32)
//
// As scaleShiftAVX2 on each plane (a product, then a sum).
TEXT ·scaleShiftPlanesAVX2(SB), NOSPLIT, $0-104
	MOVQ y_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ hw+48(FP), R9
	MOVQ a_base+56(FP), R10
	MOVQ a_len+64(FP), R11
	MOVQ b_base+80(FP), R12
	XORQ R13, R13
	JMP  ssp2_plane_check

ssp2_plane:
	VBROADCASTSS (R10)(R13*4), Y8
	VBROADCASTSS (R12)(R13*4), Y9
	MOVQ         R9, CX
	JMP          ssp2_check

ssp2_loop:
	VMULPS  (SI), Y8, Y0
	VADDPS  Y9, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

ssp2_check:
	CMPQ  CX, $8
	JAE   ssp2_loop
	TESTQ CX, CX
	JZ    ssp2_next
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y0
	VMULPS     Y0, Y8, Y0
	VADDPS     Y9, Y0, Y0
	VMASKMOVPS Y0, Y7, (DI)
	LEAQ       (SI)(CX*4), SI
	LEAQ       (DI)(CX*4), DI

ssp2_next:
	INCQ R13

ssp2_plane_check:
	CMPQ R13, R11
	JB   ssp2_plane
	VZEROUPPER
	RET

// func scaleToPlanesAVX2(y, x []float32, hw int, a []float32)
//
// As scaleToAVX2 on each plane: y = a[p]·x, one product.
TEXT ·scaleToPlanesAVX2(SB), NOSPLIT, $0-80
	MOVQ y_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ hw+48(FP), R9
	MOVQ a_base+56(FP), R10
	MOVQ a_len+64(FP), R11
	XORQ R13, R13
	JMP  stp2_plane_check

stp2_plane:
	VBROADCASTSS (R10)(R13*4), Y8
	MOVQ         R9, CX
	JMP          stp2_check16

stp2_loop16:
	VMULPS  (SI), Y8, Y0
	VMULPS  32(SI), Y8, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX

stp2_check16:
	CMPQ CX, $16
	JAE  stp2_loop16
	CMPQ CX, $8
	JB   stp2_tail
	VMULPS  (SI), Y8, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

stp2_tail:
	TESTQ CX, CX
	JZ    stp2_next
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y0
	VMULPS     Y0, Y8, Y0
	VMASKMOVPS Y0, Y7, (DI)
	LEAQ       (SI)(CX*4), SI
	LEAQ       (DI)(CX*4), DI

stp2_next:
	INCQ R13

stp2_plane_check:
	CMPQ R13, R11
	JB   stp2_plane
	VZEROUPPER
	RET

// func axpyPlanesAVX2(y, x []float32, hw int, a []float32)
//
// As axpyAVX2 on each plane: y = a[p]·x + y, the product rounded first.
TEXT ·axpyPlanesAVX2(SB), NOSPLIT, $0-80
	MOVQ y_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ hw+48(FP), R9
	MOVQ a_base+56(FP), R10
	MOVQ a_len+64(FP), R11
	XORQ R13, R13
	JMP  axp2_plane_check

axp2_plane:
	VBROADCASTSS (R10)(R13*4), Y8
	MOVQ         R9, CX
	JMP          axp2_check16

axp2_loop16:
	VMULPS  (SI), Y8, Y0
	VMULPS  32(SI), Y8, Y1
	VADDPS  (DI), Y0, Y0
	VADDPS  32(DI), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX

axp2_check16:
	CMPQ CX, $16
	JAE  axp2_loop16
	CMPQ CX, $8
	JB   axp2_tail
	VMULPS  (SI), Y8, Y0
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

axp2_tail:
	TESTQ CX, CX
	JZ    axp2_next
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y0
	VMASKMOVPS (DI), Y7, Y2
	VMULPS     Y0, Y8, Y0
	VADDPS     Y2, Y0, Y0
	VMASKMOVPS Y0, Y7, (DI)
	LEAQ       (SI)(CX*4), SI
	LEAQ       (DI)(CX*4), DI

axp2_next:
	INCQ R13

axp2_plane_check:
	CMPQ R13, R11
	JB   axp2_plane
	VZEROUPPER
	RET

//go:build amd64 && !purego

#include "textflag.h"
#include "vecmath_amd64.h"
#include "vecmath_runs_amd64.h"

// Plane-wise AVX2+FMA forms (vecmath_planes.go) of the single-plane AVX2
// kernels: len(a) planes of hw values one after another, plane p with its
// own a[p], b[p], ... (and sums sg[p], sgx[p]). Each plane runs the
// single-plane kernel's loop, the same RUN macro of vecmath_runs_amd64.h
// (operand order, lanes, unrolling, tail and reduction tree), so it gets
// that kernel's bits; only the call, the checks and the constant loads
// are paid once a call instead of once a plane. A RUN leaves the pointers
// past its plane, where the next plane starts.

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
	SSSILURUN(sssp2_loop, sssp2_check, sssp2_next)
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
	MOVQ         R9, CX
	SSGRUN(ssgp2_loop, ssgp2_check, ssgp2_short, ssgp2_skip, ssgp2_reduce, Y13, Y14, 0(SP))
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
	COMBRUN(combp2_loop, combp2_check, combp2_next)
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
	COMBADDRUN(combap2_loop, combap2_check, combap2_next)
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
	SSRUN(ssp2_loop, ssp2_check, ssp2_next)
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
	STRUN(stp2_loop16, stp2_check16, stp2_tail, stp2_next)
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
	AXPYRUN(axp2_loop16, axp2_check16, axp2_tail, axp2_next)
	INCQ R13

axp2_plane_check:
	CMPQ R13, R11
	JB   axp2_plane
	VZEROUPPER
	RET

//go:build amd64 && !purego

#include "textflag.h"
#include "vecmath_amd64.h"
#include "vecmath_runs_amd64.h"

// AVX2 twins of the plain element-wise kernels (vecmath_plain.go): one
// multiply or add per element, rounded as the Go loop rounds it (no FMA),
// so they give the Go twins' bits. Eight lanes per ymm, unrolled by two;
// the ragged tail through masked loads and stores (TAIL8).

// func scaleToAVX2(y, x []float32, a float32)
//
//	for i, v := range x {
//		y[i] = a * v
//	}
TEXT ·scaleToAVX2(SB), NOSPLIT, $0-52
	MOVQ         y_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS a+48(FP), Y8
	STRUN(st_loop16, st_check16, st_tail, st_done)
	VZEROUPPER
	RET

// func axpyAVX2(y, x []float32, a float32)
//
//	for i, v := range x {
//		y[i] += a * v
//	}
TEXT ·axpyAVX2(SB), NOSPLIT, $0-52
	MOVQ         y_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS a+48(FP), Y8
	AXPYRUN(ax_loop16, ax_check16, ax_tail, ax_done)
	VZEROUPPER
	RET

// BINOP(NAME, OP) defines NAME(z, x, y []float32):
//
//	for i, v := range x {
//		z[i] = v OP y[i]
//	}
#define BINOP(NAME, OP) \
TEXT NAME(SB), NOSPLIT, $0-72; \
	MOVQ z_base+0(FP), DI; \
	MOVQ x_base+24(FP), SI; \
	MOVQ x_len+32(FP), CX; \
	MOVQ y_base+48(FP), DX; \
loop16: \
	CMPQ    CX, $16; \
	JB      one8; \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	OP      (DX), Y0, Y0; \
	OP      32(DX), Y1, Y1; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DX; \
	ADDQ    $64, DI; \
	SUBQ    $16, CX; \
	JMP     loop16; \
one8: \
	CMPQ    CX, $8; \
	JB      tail; \
	VMOVUPS (SI), Y0; \
	OP      (DX), Y0, Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DX; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
tail: \
	TESTQ      CX, CX; \
	JZ         done; \
	TAIL8(CX); \
	VMASKMOVPS (SI), Y7, Y0; \
	VMASKMOVPS (DX), Y7, Y1; \
	OP         Y1, Y0, Y0; \
	VMASKMOVPS Y0, Y7, (DI); \
done: \
	VZEROUPPER; \
	RET

// func addAVX2(z, x, y []float32): z[i] = x[i] + y[i]
BINOP(·addAVX2, VADDPS)

// func subAVX2(z, x, y []float32): z[i] = x[i] − y[i]
BINOP(·subAVX2, VSUBPS)

// func mulAVX2(z, x, y []float32): z[i] = x[i]·y[i]
BINOP(·mulAVX2, VMULPS)

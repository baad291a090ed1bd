//go:build amd64 && !purego

#include "textflag.h"

// The thin path's matrix-vector kernels: the bits of gemv.go's plain
// loops (dotGo, axpyGo), multiplies and adds apart, in their order.

// func gemvColsAVX2(x, b []float32, ldb int, y []float32)
//
// y[j] = 0, then y[j] += x[p]·b[p·ldb + j] for p = 0..k-1 (axpyGo row by
// row): 64 outputs a pass (eight ymm sums, x[p] broadcast), then 8, then
// one at a time.
TEXT ·gemvColsAVX2(SB), NOSPLIT, $0-80
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	MOVQ ldb+48(FP), R8
	SHLQ $2, R8
	MOVQ y_base+56(FP), DX
	MOVQ y_len+64(FP), BX

cols64:
	CMPQ   BX, $64
	JLT    cols8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   DI, R9
	XORQ   R10, R10
	TESTQ  CX, CX
	JEQ    store64

loop64:
	VBROADCASTSS (SI)(R10*4), Y8
	VMULPS       (R9), Y8, Y9
	VADDPS       Y9, Y0, Y0
	VMULPS       32(R9), Y8, Y10
	VADDPS       Y10, Y1, Y1
	VMULPS       64(R9), Y8, Y11
	VADDPS       Y11, Y2, Y2
	VMULPS       96(R9), Y8, Y12
	VADDPS       Y12, Y3, Y3
	VMULPS       128(R9), Y8, Y9
	VADDPS       Y9, Y4, Y4
	VMULPS       160(R9), Y8, Y10
	VADDPS       Y10, Y5, Y5
	VMULPS       192(R9), Y8, Y11
	VADDPS       Y11, Y6, Y6
	VMULPS       224(R9), Y8, Y12
	VADDPS       Y12, Y7, Y7
	ADDQ         R8, R9
	INCQ         R10
	CMPQ         R10, CX
	JLT          loop64

store64:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	VMOVUPS Y4, 128(DX)
	VMOVUPS Y5, 160(DX)
	VMOVUPS Y6, 192(DX)
	VMOVUPS Y7, 224(DX)
	ADDQ    $256, DI
	ADDQ    $256, DX
	SUBQ    $64, BX
	JMP     cols64

cols8:
	CMPQ   BX, $8
	JLT    cols1
	VXORPS Y0, Y0, Y0
	MOVQ   DI, R9
	XORQ   R10, R10
	TESTQ  CX, CX
	JEQ    store8

loop8:
	VBROADCASTSS (SI)(R10*4), Y8
	VMULPS       (R9), Y8, Y9
	VADDPS       Y9, Y0, Y0
	ADDQ         R8, R9
	INCQ         R10
	CMPQ         R10, CX
	JLT          loop8

store8:
	VMOVUPS Y0, (DX)
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $8, BX
	JMP     cols8

cols1:
	TESTQ  BX, BX
	JEQ    colsdone
	VXORPS X0, X0, X0
	MOVQ   DI, R9
	XORQ   R10, R10
	TESTQ  CX, CX
	JEQ    store1

loop1:
	VMOVSS (SI)(R10*4), X8
	VMULSS (R9), X8, X9
	VADDSS X9, X0, X0
	ADDQ   R8, R9
	INCQ   R10
	CMPQ   R10, CX
	JLT    loop1

store1:
	VMOVSS X0, (DX)
	ADDQ   $4, DI
	ADDQ   $4, DX
	DECQ   BX
	JMP    cols1

colsdone:
	VZEROUPPER
	RET

// DOT4(ROW, ACC): ACC += ROW[p:p+4]·X8 (lane by lane, multiply then add).
#define DOT4(ROW, ACC) \
	VMULPS (ROW)(AX*4), X8, X9; \
	VADDPS X9, ACC, ACC

// DOT1(ROW, ACC): ACC[0] += ROW[p]·X8[0].
#define DOT1(ROW, ACC) \
	VMULSS (ROW)(AX*4), X8, X9; \
	VADDSS X9, ACC, ACC

// FOLD(ACC): ACC[0] = (s0 + s1) + (s2 + s3) of ACC's lanes; X9 clobbered.
#define FOLD(ACC) \
	VMOVSHDUP ACC, X9; \
	VADDPS    X9, ACC, ACC; \
	VMOVHLPS  ACC, ACC, X9; \
	VADDSS    X9, ACC, ACC

// func gemvRowsAVX2(a []float32, lda int, x, y []float32)
//
// y[i] = dotGo(a[i·lda : i·lda+k], x): the four partial sums of dotGo are
// the four lanes of an xmm register; four rows a pass, then one at a time.
TEXT ·gemvRowsAVX2(SB), NOSPLIT, $0-80
	MOVQ a_base+0(FP), DI
	MOVQ lda+24(FP), R8
	SHLQ $2, R8
	MOVQ x_base+32(FP), SI
	MOVQ x_len+40(FP), CX
	MOVQ y_base+56(FP), DX
	MOVQ y_len+64(FP), BX
	MOVQ CX, R11
	ANDQ $-4, R11            // the end of the whole 4-blocks

rows4:
	CMPQ   BX, $4
	JLT    rows1
	LEAQ   (DI)(R8*1), R9
	LEAQ   (R9)(R8*1), R10
	LEAQ   (R10)(R8*1), R13
	VXORPS X0, X0, X0
	VXORPS X1, X1, X1
	VXORPS X2, X2, X2
	VXORPS X3, X3, X3
	XORQ   AX, AX
	CMPQ   AX, R11
	JGE    tail4

loop4:
	VMOVUPS (SI)(AX*4), X8
	DOT4(DI, X0)
	DOT4(R9, X1)
	DOT4(R10, X2)
	DOT4(R13, X3)
	ADDQ    $4, AX
	CMPQ    AX, R11
	JLT     loop4

tail4:
	CMPQ   AX, CX
	JGE    fold4
	VMOVSS (SI)(AX*4), X8
	DOT1(DI, X0)
	DOT1(R9, X1)
	DOT1(R10, X2)
	DOT1(R13, X3)
	INCQ   AX
	JMP    tail4

fold4:
	FOLD(X0)
	FOLD(X1)
	FOLD(X2)
	FOLD(X3)
	VMOVSS X0, (DX)
	VMOVSS X1, 4(DX)
	VMOVSS X2, 8(DX)
	VMOVSS X3, 12(DX)
	LEAQ   (R13)(R8*1), DI
	ADDQ   $16, DX
	SUBQ   $4, BX
	JMP    rows4

rows1:
	TESTQ  BX, BX
	JEQ    rowsdone
	VXORPS X0, X0, X0
	XORQ   AX, AX
	CMPQ   AX, R11
	JGE    tail1

loop1r:
	VMOVUPS (SI)(AX*4), X8
	DOT4(DI, X0)
	ADDQ    $4, AX
	CMPQ    AX, R11
	JLT     loop1r

tail1:
	CMPQ   AX, CX
	JGE    fold1
	VMOVSS (SI)(AX*4), X8
	DOT1(DI, X0)
	INCQ   AX
	JMP    tail1

fold1:
	FOLD(X0)
	VMOVSS X0, (DX)
	ADDQ   R8, DI
	ADDQ   $4, DX
	DECQ   BX
	JMP    rows1

rowsdone:
	RET

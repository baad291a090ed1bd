//go:build amd64 && !purego

#include "textflag.h"

// AVX2 kernels of the Winograd F(2x2, 3x3) transforms (winograd.go has the
// math and the Go twins): 8 tiles of a tile row at a time, one tile per
// lane, each lane through the Go twin's additions in its order, so the
// bits are the Go twin's. They run on AVX-512 CPUs too (the transforms are
// a small part of the time; one kernel set keeps one set of bits). The
// last group of a row is computed whole: it reads up to 16 floats past the
// input block and writes up to 7 tiles past the row (WinogradInput and
// WinogradOutput say what the caller leaves room for).

// ROWH(P, H0, H1, H2, H3): one input row of 8 tiles at P (18 floats:
// tile t reads columns 2t..2t+3): d0..d3 = the even, odd, even+2 and odd+2
// columns, split out of two pairs of loads (VSHUFPS within 128-bit lanes,
// VPERMPD across them), then
//
//	H0 = d0 − d2   H1 = d1 + d2   H2 = d2 − d1   H3 = d1 − d3
//
// Clobbers Y0-Y7.
#define ROWH(P, H0, H1, H2, H3) \
	VMOVUPS 0(P), Y0; \
	VMOVUPS 32(P), Y1; \
	VMOVUPS 8(P), Y2; \
	VMOVUPS 40(P), Y3; \
	VSHUFPS $0x88, Y1, Y0, Y4; \
	VSHUFPS $0xdd, Y1, Y0, Y5; \
	VSHUFPS $0x88, Y3, Y2, Y6; \
	VSHUFPS $0xdd, Y3, Y2, Y7; \
	VPERMPD $0xd8, Y4, Y4; \
	VPERMPD $0xd8, Y5, Y5; \
	VPERMPD $0xd8, Y6, Y6; \
	VPERMPD $0xd8, Y7, Y7; \
	VSUBPS  Y6, Y4, H0; \
	VADDPS  Y6, Y5, H1; \
	VSUBPS  Y5, Y6, H2; \
	VSUBPS  Y7, Y5, H3

// VOUT(OP, A, B): v row AX = A OP B (Go asm's operand order: OP B, A), then
// AX to the next of the 16 rows.
#define VOUT(OP, A, B) \
	OP      B, A, Y0; \
	VMOVUPS Y0, (AX); \
	ADDQ    R8, AX

// func winoInAVX2(v []float32, vs int, x []float32, ldx, tw int)
//
// winogradInputGo on 8 tiles a step: rows 2 and 0 first (V0 = h0 − h2),
// then row 1 in row 0's registers (V1 = h1 + h2, V2 = h2 − h1), then row 3
// in row 2's (V3 = h1 − h3).
TEXT ·winoInAVX2(SB), NOSPLIT, $0-72
	MOVQ v_base+0(FP), DI
	MOVQ vs+24(FP), R8
	SHLQ $2, R8 // bytes between the rows ξ of v
	MOVQ x_base+32(FP), SI
	MOVQ ldx+56(FP), BX
	SHLQ $2, BX
	LEAQ (SI)(BX*1), R9  // row 1
	LEAQ (SI)(BX*2), R10 // row 2
	LEAQ (R9)(BX*2), R11 // row 3
	MOVQ tw+64(FP), CX

win_loop:
	ROWH(R10, Y8, Y9, Y10, Y11)
	ROWH(SI, Y12, Y13, Y14, Y15)
	MOVQ DI, AX
	VOUT(VSUBPS, Y12, Y8)
	VOUT(VSUBPS, Y13, Y9)
	VOUT(VSUBPS, Y14, Y10)
	VOUT(VSUBPS, Y15, Y11)
	ROWH(R9, Y12, Y13, Y14, Y15)
	VOUT(VADDPS, Y12, Y8)
	VOUT(VADDPS, Y13, Y9)
	VOUT(VADDPS, Y14, Y10)
	VOUT(VADDPS, Y15, Y11)
	VOUT(VSUBPS, Y8, Y12)
	VOUT(VSUBPS, Y9, Y13)
	VOUT(VSUBPS, Y10, Y14)
	VOUT(VSUBPS, Y11, Y15)
	ROWH(R11, Y8, Y9, Y10, Y11)
	VOUT(VSUBPS, Y12, Y8)
	VOUT(VSUBPS, Y13, Y9)
	VOUT(VSUBPS, Y14, Y10)
	VOUT(VSUBPS, Y15, Y11)
	ADDQ $64, SI
	ADDQ $64, R9
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $32, DI
	SUBQ $8, CX
	JG   win_loop
	VZEROUPPER
	RET

// SCOL(S0, S1): column j of 8 tiles from the four rows ξ = j, 4+j, 8+j,
// 12+j at AX (R8 bytes apart; R9 = 12 rows): S0 = (M0 + M1) + M2,
// S1 = (M1 − M2) − M3; AX to column j+1. Clobbers Y0-Y3.
#define SCOL(S0, S1) \
	VMOVUPS (AX), Y0; \
	VMOVUPS (AX)(R8*4), Y1; \
	VMOVUPS (AX)(R8*8), Y2; \
	VMOVUPS (AX)(R9*1), Y3; \
	VADDPS  Y1, Y0, S0; \
	VADDPS  Y2, S0, S0; \
	VSUBPS  Y2, Y1, S1; \
	VSUBPS  Y3, S1, S1; \
	ADDQ    R8, AX

// YROW(S0, S1, S2, S3, P): one output row of 8 tiles from its s0..s3:
// even columns (s0 + s1) + s2, odd columns (s1 − s2) − s3, interleaved into
// 16 floats at P. Clobbers Y0-Y5.
#define YROW(S0, S1, S2, S3, P) \
	VADDPS     S1, S0, Y0; \
	VADDPS     S2, Y0, Y0; \
	VSUBPS     S2, S1, Y1; \
	VSUBPS     S3, Y1, Y1; \
	VUNPCKLPS  Y1, Y0, Y2; \
	VUNPCKHPS  Y1, Y0, Y3; \
	VPERM2F128 $0x20, Y3, Y2, Y4; \
	VPERM2F128 $0x31, Y3, Y2, Y5; \
	VMOVUPS    Y4, (P); \
	VMOVUPS    Y5, 32(P)

// func winoOutAVX2(y []float32, ldy int, m []float32, ms, tw int)
//
// winogradOutputGo on 8 tiles a step: the columns s (Y8-Y11 for output row
// 0, Y12-Y15 for row 1), then each output row.
TEXT ·winoOutAVX2(SB), NOSPLIT, $0-72
	MOVQ y_base+0(FP), DI
	MOVQ ldy+24(FP), BX
	SHLQ $2, BX
	MOVQ m_base+32(FP), SI
	MOVQ ms+56(FP), R8
	SHLQ $2, R8          // bytes between the rows ξ of m
	LEAQ (R8)(R8*2), R9
	SHLQ $2, R9          // 12 rows
	MOVQ tw+64(FP), CX

wout_loop:
	MOVQ SI, AX
	SCOL(Y8, Y12)
	SCOL(Y9, Y13)
	SCOL(Y10, Y14)
	SCOL(Y11, Y15)
	YROW(Y8, Y9, Y10, Y11, DI)
	LEAQ (DI)(BX*1), DX
	YROW(Y12, Y13, Y14, Y15, DX)
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $8, CX
	JG   wout_loop
	VZEROUPPER
	RET

// func winoWAVX2(u []float32, us int, wt []float32, ws, n int)
//
// winogradWeightsGo on 8 kernels a step, from the kernels' taps transposed
// (wt row 3r+x, ws floats apart, holds tap (r, x) of consecutive kernels):
// per column x, t1 = ((g0 + g1) + g2)·½ and t2 = ((g0 − g1) + g2)·½ (kept
// with g0 and g2: Y0-Y11), then each row (a, b, c) of (g0, t1, t2, g2) gives
// u 4i..4i+3 = a, ((a + b) + c)·½, ((a − b) + c)·½, c. n is a multiple of 8.
#define WCOL(X, G0, T1, T2, G2) \
	VMOVUPS X(SI), G0; \
	VMOVUPS X(SI)(BX*1), T1; \
	VMOVUPS X(SI)(BX*2), G2; \
	VSUBPS  T1, G0, T2; \
	VADDPS  T1, G0, T1; \
	VADDPS  G2, T1, T1; \
	VADDPS  G2, T2, T2; \
	VMULPS  Y15, T1, T1; \
	VMULPS  Y15, T2, T2

#define WROW(A, B, C) \
	VMOVUPS A, (AX); \
	ADDQ    R8, AX; \
	VADDPS  B, A, Y12; \
	VADDPS  C, Y12, Y12; \
	VMULPS  Y15, Y12, Y12; \
	VMOVUPS Y12, (AX); \
	ADDQ    R8, AX; \
	VSUBPS  B, A, Y12; \
	VADDPS  C, Y12, Y12; \
	VMULPS  Y15, Y12, Y12; \
	VMOVUPS Y12, (AX); \
	ADDQ    R8, AX; \
	VMOVUPS C, (AX); \
	ADDQ    R8, AX

TEXT ·winoWAVX2(SB), NOSPLIT, $0-72
	MOVQ         u_base+0(FP), DI
	MOVQ         us+24(FP), R8
	SHLQ         $2, R8
	MOVQ         wt_base+32(FP), SI
	MOVQ         ws+56(FP), DX
	SHLQ         $2, DX
	LEAQ         (DX)(DX*2), BX // 3 rows of wt: from tap (0, x) to (1, x)
	MOVQ         n+64(FP), CX
	MOVL         $0x3f000000, AX
	MOVQ         AX, X15
	VBROADCASTSS X15, Y15 // ½

ww_loop:
	WCOL(0, Y0, Y1, Y2, Y3)
	ADDQ DX, SI
	WCOL(0, Y4, Y5, Y6, Y7)
	ADDQ DX, SI
	WCOL(0, Y8, Y9, Y10, Y11)
	SUBQ DX, SI
	SUBQ DX, SI
	MOVQ DI, AX
	WROW(Y0, Y4, Y8)
	WROW(Y1, Y5, Y9)
	WROW(Y2, Y6, Y10)
	WROW(Y3, Y7, Y11)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JG   ww_loop
	VZEROUPPER
	RET

//go:build amd64 && !purego

#include "textflag.h"

// AVX2 kernels of the Winograd F(4x4, 3x3) transforms (winograd4.go has
// the math and the Go twins): 8 tiles (kernels) at a time, one per lane,
// each lane through the Go twin's operations in its order, so the bits are
// the Go twin's. The 2-D transforms go one axis at a time: the input's
// first pass writes its 36 rows of h into v itself and the second
// transforms them there in place; the output's first pass keeps its 24
// rows of s in the frame; the weights' first pass writes t into u's rows
// 6i+x and the second reads them back before overwriting the rows.

// IN1D: wino4In on d0..d5 in Y0-Y5 into Y6-Y11, with Y14 = 2 and Y15 = 4;
// clobbers Y12, Y13.
#define IN1D \
	VSUBPS Y2, Y4, Y12; \
	VSUBPS Y2, Y0, Y6; \
	VMULPS Y15, Y6, Y6; \
	VADDPS Y12, Y6, Y6; \
	VADDPS Y4, Y3, Y7; \
	VADDPS Y2, Y1, Y13; \
	VMULPS Y15, Y13, Y13; \
	VSUBPS Y13, Y7, Y7; \
	VSUBPS Y3, Y4, Y8; \
	VSUBPS Y2, Y1, Y13; \
	VMULPS Y15, Y13, Y13; \
	VADDPS Y13, Y8, Y8; \
	VSUBPS Y1, Y3, Y13; \
	VMULPS Y14, Y13, Y13; \
	VADDPS Y13, Y12, Y9; \
	VSUBPS Y13, Y12, Y10; \
	VSUBPS Y3, Y1, Y11; \
	VMULPS Y15, Y11, Y11; \
	VSUBPS Y3, Y5, Y13; \
	VADDPS Y13, Y11, Y11

// ROW6(P): columns d0..d5 of one input row of 8 tiles at P (tile t reads
// floats 4t..4t+5) into Y0-Y5. Lane half 0 holds tiles 0-3, half 1 tiles
// 4-7: R_q = floats 4q..4q+3 | 16+4q..19+4q (q = 0..4), then a 4x4
// transposition within each half gives d0..d3 from R0..R3 and d4, d5 from
// R1..R4. Clobbers Y6-Y10.
#define ROW6(P) \
	VMOVUPS     0(P), X0; \
	VINSERTF128 $1, 64(P), Y0, Y0; \
	VMOVUPS     16(P), X1; \
	VINSERTF128 $1, 80(P), Y1, Y1; \
	VMOVUPS     32(P), X2; \
	VINSERTF128 $1, 96(P), Y2, Y2; \
	VMOVUPS     48(P), X3; \
	VINSERTF128 $1, 112(P), Y3, Y3; \
	VMOVUPS     64(P), X4; \
	VINSERTF128 $1, 128(P), Y4, Y4; \
	VUNPCKLPS   Y1, Y0, Y5; \
	VUNPCKHPS   Y1, Y0, Y6; \
	VUNPCKLPS   Y3, Y2, Y7; \
	VUNPCKHPS   Y3, Y2, Y8; \
	VUNPCKLPS   Y2, Y1, Y9; \
	VUNPCKLPS   Y4, Y3, Y10; \
	VUNPCKLPD   Y7, Y5, Y0; \
	VUNPCKHPD   Y7, Y5, Y1; \
	VUNPCKLPD   Y8, Y6, Y2; \
	VUNPCKHPD   Y8, Y6, Y3; \
	VUNPCKLPD   Y10, Y9, Y4; \
	VUNPCKHPD   Y10, Y9, Y5

// STORE6(P, S, A, B, C, D, E, F): A..F to P, P+S, ..., P+5S (S a
// register); P advances by 6S.
#define STORE6(P, S, A, B, C, D, E, F) \
	VMOVUPS A, (P); \
	ADDQ    S, P; \
	VMOVUPS B, (P); \
	ADDQ    S, P; \
	VMOVUPS C, (P); \
	ADDQ    S, P; \
	VMOVUPS D, (P); \
	ADDQ    S, P; \
	VMOVUPS E, (P); \
	ADDQ    S, P; \
	VMOVUPS F, (P); \
	ADDQ    S, P

// LOADCOL: the six rows 6i+j (i = 0..5) of a column at AX into Y0-Y5:
// R9 bytes between them, R10 = 3·R9, R11 = 5·R9.
#define LOADCOL \
	VMOVUPS (AX), Y0; \
	VMOVUPS (AX)(R9*1), Y1; \
	VMOVUPS (AX)(R9*2), Y2; \
	VMOVUPS (AX)(R10*1), Y3; \
	VMOVUPS (AX)(R9*4), Y4; \
	VMOVUPS (AX)(R11*1), Y5

// VCOL: column j of h at AX (rows 6i+j, i = 0..5, R9 bytes apart; R10 =
// 3·R9, R11 = 5·R9) through IN1D, back in place; AX to column j+1.
#define VCOL \
	LOADCOL; \
	IN1D; \
	VMOVUPS Y6, (AX); \
	VMOVUPS Y7, (AX)(R9*1); \
	VMOVUPS Y8, (AX)(R9*2); \
	VMOVUPS Y9, (AX)(R10*1); \
	VMOVUPS Y10, (AX)(R9*4); \
	VMOVUPS Y11, (AX)(R11*1); \
	ADDQ    R8, AX

// func winoIn4AVX2(v []float32, vs int, x []float32, ldx, tw int)
TEXT ·winoIn4AVX2(SB), NOSPLIT, $0-72
	MOVQ v_base+0(FP), DI
	MOVQ vs+24(FP), R8
	SHLQ $2, R8             // bytes between the rows ξ of v
	LEAQ (R8)(R8*2), R9
	SHLQ $1, R9             // 6 rows
	LEAQ (R9)(R9*2), R10    // 18
	LEAQ (R9)(R9*4), R11    // 30
	MOVQ x_base+32(FP), SI
	MOVQ ldx+56(FP), BX
	SHLQ $2, BX
	MOVQ tw+64(FP), CX
	MOVL $0x40000000, AX
	MOVQ AX, X14
	VBROADCASTSS X14, Y14   // 2
	MOVL $0x40800000, AX
	MOVQ AX, X15
	VBROADCASTSS X15, Y15   // 4

win4_loop:
	// Pass 1: each input row r into v rows 6r..6r+5.
	MOVQ SI, DX
	MOVQ DI, AX
	MOVQ $6, R12

win4_rows:
	ROW6(DX)
	IN1D
	STORE6(AX, R8, Y6, Y7, Y8, Y9, Y10, Y11)
	ADDQ BX, DX
	DECQ R12
	JNZ  win4_rows

	// Pass 2: each column j of h in place.
	MOVQ DI, AX
	MOVQ $6, R12

win4_cols:
	VCOL
	DECQ R12
	JNZ  win4_cols
	ADDQ $128, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JG   win4_loop
	VZEROUPPER
	RET

// OUT1D: wino4Out on m0..m5 in Y0-Y5 into Y6-Y9, with Y12 = 8, Y14 = 2,
// Y15 = 4; clobbers Y1, Y2, Y10, Y11 (a, b in Y10, Y11; c, d in Y1, Y2).
#define OUT1D \
	VADDPS Y2, Y1, Y10; \
	VSUBPS Y2, Y1, Y11; \
	VADDPS Y4, Y3, Y1; \
	VSUBPS Y4, Y3, Y2; \
	VADDPS Y10, Y0, Y6; \
	VADDPS Y1, Y6, Y6; \
	VMULPS Y14, Y2, Y7; \
	VADDPS Y7, Y11, Y7; \
	VMULPS Y15, Y1, Y8; \
	VADDPS Y8, Y10, Y8; \
	VMULPS Y12, Y2, Y9; \
	VADDPS Y9, Y11, Y9; \
	VADDPS Y5, Y9, Y9

// SCOL4: column j of M at AX (rows 6i+j, R9 bytes apart; R10 = 3·R9,
// R11 = 5·R9) through OUT1D into s[r][j], r = 0..3, at R12 + r·192 (R12 =
// the frame + 32j); AX and R12 to the next column.
#define SCOL4 \
	LOADCOL; \
	OUT1D; \
	VMOVUPS Y6, (R12); \
	VMOVUPS Y7, 192(R12); \
	VMOVUPS Y8, 384(R12); \
	VMOVUPS Y9, 576(R12); \
	ADDQ    R8, AX; \
	ADDQ    $32, R12

// YROW4(P): an output row of 8 tiles from s[r][0..5] at R12 through
// OUT1D, the four values of each tile interleaved (a 4x4 transposition
// within each lane half, then the halves paired) into 32 floats at P; R12
// to the next row of s.
#define YROW4(P) \
	VMOVUPS    (R12), Y0; \
	VMOVUPS    32(R12), Y1; \
	VMOVUPS    64(R12), Y2; \
	VMOVUPS    96(R12), Y3; \
	VMOVUPS    128(R12), Y4; \
	VMOVUPS    160(R12), Y5; \
	OUT1D; \
	VUNPCKLPS  Y7, Y6, Y0; \
	VUNPCKHPS  Y7, Y6, Y1; \
	VUNPCKLPS  Y9, Y8, Y2; \
	VUNPCKHPS  Y9, Y8, Y3; \
	VUNPCKLPD  Y2, Y0, Y4; \
	VUNPCKHPD  Y2, Y0, Y5; \
	VUNPCKLPD  Y3, Y1, Y6; \
	VUNPCKHPD  Y3, Y1, Y7; \
	VPERM2F128 $0x20, Y5, Y4, Y8; \
	VPERM2F128 $0x20, Y7, Y6, Y9; \
	VPERM2F128 $0x31, Y5, Y4, Y10; \
	VPERM2F128 $0x31, Y7, Y6, Y11; \
	VMOVUPS    Y8, (P); \
	VMOVUPS    Y9, 32(P); \
	VMOVUPS    Y10, 64(P); \
	VMOVUPS    Y11, 96(P); \
	ADDQ       $192, R12

// func winoOut4AVX2(y []float32, ldy int, m []float32, ms, tw int)
//
// The frame holds s, 24 rows of 8 tiles. Not NOSPLIT: a 768-byte frame
// is past what a NOSPLIT chain may take; the function calls nothing.
// OUT4SETUP: for the output kernel and its adjoint, with R8 = the bytes
// between rows ξ of m: R9, R10, R11 = 6, 18 and 30 rows; Y12 = 8, Y14 =
// 2, Y15 = 4.
#define OUT4SETUP \
	LEAQ         (R8)(R8*2), R9; \
	SHLQ         $1, R9; \
	LEAQ         (R9)(R9*2), R10; \
	LEAQ         (R9)(R9*4), R11; \
	MOVL         $0x41000000, AX; \
	MOVQ         AX, X12; \
	VBROADCASTSS X12, Y12; \
	MOVL         $0x40000000, AX; \
	MOVQ         AX, X14; \
	VBROADCASTSS X14, Y14; \
	MOVL         $0x40800000, AX; \
	MOVQ         AX, X15; \
	VBROADCASTSS X15, Y15

TEXT ·winoOut4AVX2(SB), $768-72
	MOVQ y_base+0(FP), DI
	MOVQ ldy+24(FP), BX
	SHLQ $2, BX
	MOVQ m_base+32(FP), SI
	MOVQ ms+56(FP), R8
	SHLQ $2, R8             // bytes between the rows ξ of m
	MOVQ tw+64(FP), CX
	OUT4SETUP

wout4_loop:
	MOVQ SI, AX
	LEAQ 0(SP), R12
	MOVQ $6, R13

wout4_cols:
	SCOL4
	DECQ R13
	JNZ  wout4_cols
	MOVQ DI, DX
	LEAQ 0(SP), R12
	MOVQ $4, R13

wout4_rows:
	YROW4(DX)
	ADDQ BX, DX
	DECQ R13
	JNZ  wout4_rows
	ADDQ $32, SI
	ADDQ $128, DI
	SUBQ $8, CX
	JG   wout4_loop
	VZEROUPPER
	RET

// W1D: wino4W on g0, g1, g2 in Y0-Y2 into Y3-Y7 (u0..u4; u5 is g2), with
// Y12 = ¼, Y13 = ½, Y14 = −1/6, Y15 = 1/6; clobbers Y9-Y11.
#define W1D \
	VMULPS Y12, Y0, Y3; \
	VADDPS Y2, Y0, Y9; \
	VADDPS Y1, Y9, Y4; \
	VMULPS Y14, Y4, Y4; \
	VSUBPS Y1, Y9, Y5; \
	VMULPS Y14, Y5, Y5; \
	VADDPS Y2, Y3, Y10; \
	VMULPS Y13, Y1, Y11; \
	VADDPS Y11, Y10, Y6; \
	VMULPS Y15, Y6, Y6; \
	VSUBPS Y11, Y10, Y7; \
	VMULPS Y15, Y7, Y7

// WCOL4: column x of the kernels' taps at AX (tap rows x, 3+x, 6+x of wt:
// R9 = 3 rows) into u rows 6i+x from BX (R10 = 6 rows of u apart); AX and
// BX to column x+1.
#define WCOL4 \
	VMOVUPS (AX), Y0; \
	VMOVUPS (AX)(R9*1), Y1; \
	VMOVUPS (AX)(R9*2), Y2; \
	W1D; \
	MOVQ    BX, R11; \
	STORE6(R11, R10, Y3, Y4, Y5, Y6, Y7, Y2); \
	ADDQ    DX, AX; \
	ADDQ    R8, BX

// WROW4: row i of t from u rows 6i..6i+2 at BX into u rows 6i..6i+5; BX
// to row i+1.
#define WROW4 \
	VMOVUPS (BX), Y0; \
	VMOVUPS (BX)(R8*1), Y1; \
	VMOVUPS (BX)(R8*2), Y2; \
	W1D; \
	MOVQ    BX, R11; \
	STORE6(R11, R8, Y3, Y4, Y5, Y6, Y7, Y2); \
	ADDQ    R10, BX

// func winoW4AVX2(u []float32, us int, wt []float32, ws, n int)
//
// winogradWeights4Go on 8 kernels a step, from the kernels' taps
// transposed (wt row 3r+x, ws floats apart, holds tap (r, x) of
// consecutive kernels). n is a multiple of 8.
TEXT ·winoW4AVX2(SB), NOSPLIT, $0-72
	MOVQ u_base+0(FP), DI
	MOVQ us+24(FP), R8
	SHLQ $2, R8             // bytes between the rows ξ of u
	LEAQ (R8)(R8*2), R10
	SHLQ $1, R10            // 6 rows of u
	MOVQ wt_base+32(FP), SI
	MOVQ ws+56(FP), DX
	SHLQ $2, DX             // bytes between the tap rows of wt
	LEAQ (DX)(DX*2), R9     // 3 tap rows
	MOVQ n+64(FP), CX
	MOVL $0x3e800000, AX
	MOVQ AX, X12
	VBROADCASTSS X12, Y12   // ¼
	MOVL $0x3f000000, AX
	MOVQ AX, X13
	VBROADCASTSS X13, Y13   // ½
	MOVL $0xbe2aaaab, AX
	MOVQ AX, X14
	VBROADCASTSS X14, Y14   // −1/6
	MOVL $0x3e2aaaab, AX
	MOVQ AX, X15
	VBROADCASTSS X15, Y15   // 1/6

ww4_loop:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ $3, R12

ww4_cols:
	WCOL4
	DECQ R12
	JNZ  ww4_cols
	MOVQ DI, BX
	MOVQ $6, R12

ww4_rows:
	WROW4
	DECQ R12
	JNZ  ww4_rows
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JG   ww4_loop
	VZEROUPPER
	RET

// The adjoint of the output transform (winograd4_grad.go): dm = A D Aᵀ.

// OUTT1D: wino4OutT on y0..y3 in Y4-Y7 into m0..m5 in Y0-Y5, with Y12 = 8,
// Y14 = 2, Y15 = 4; clobbers Y8-Y11, Y13 (p, q, r, s in Y8-Y11).
#define OUTT1D \
	VADDPS  Y6, Y4, Y8; \
	VADDPS  Y7, Y5, Y9; \
	VMULPS  Y15, Y6, Y10; \
	VADDPS  Y10, Y4, Y10; \
	VMULPS  Y14, Y5, Y11; \
	VMULPS  Y12, Y7, Y13; \
	VADDPS  Y13, Y11, Y11; \
	VMOVAPS Y4, Y0; \
	VMOVAPS Y7, Y5; \
	VADDPS  Y9, Y8, Y1; \
	VSUBPS  Y9, Y8, Y2; \
	VADDPS  Y11, Y10, Y3; \
	VSUBPS  Y11, Y10, Y4

// DROW4(P): row r of the block row, 8 tiles of 4 columns at P, into
// columns x = 0..3 with the tiles in lanes (Y4-Y7: the in-lane 4x4
// transpositions of YROW4 undone), through OUTT1D into h[r][j], j = 0..5,
// at R12, R12+32, ..., R12+160; R12 on by 192.
#define DROW4(P) \
	VMOVUPS    (P), Y0; \
	VMOVUPS    32(P), Y1; \
	VMOVUPS    64(P), Y2; \
	VMOVUPS    96(P), Y3; \
	VPERM2F128 $0x20, Y2, Y0, Y4; \
	VPERM2F128 $0x31, Y2, Y0, Y5; \
	VPERM2F128 $0x20, Y3, Y1, Y6; \
	VPERM2F128 $0x31, Y3, Y1, Y7; \
	VUNPCKLPS  Y5, Y4, Y0; \
	VUNPCKHPS  Y5, Y4, Y1; \
	VUNPCKLPS  Y7, Y6, Y2; \
	VUNPCKHPS  Y7, Y6, Y3; \
	VUNPCKLPD  Y2, Y0, Y4; \
	VUNPCKHPD  Y2, Y0, Y5; \
	VUNPCKLPD  Y3, Y1, Y6; \
	VUNPCKHPD  Y3, Y1, Y7; \
	OUTT1D; \
	VMOVUPS    Y0, (R12); \
	VMOVUPS    Y1, 32(R12); \
	VMOVUPS    Y2, 64(R12); \
	VMOVUPS    Y3, 96(R12); \
	VMOVUPS    Y4, 128(R12); \
	VMOVUPS    Y5, 160(R12); \
	ADDQ       $192, R12

// DCOL6: column j of h (h[r][j] at R12 + r·192, R12 = the frame + 32j)
// through OUTT1D into dm rows 6i+j, i = 0..5, at AX (rows R9 = 6 rows of
// dm apart; R10 = 3·R9, R11 = 5·R9); AX to the next row of dm, R12 to the
// next column of h.
#define DCOL6 \
	VMOVUPS (R12), Y4; \
	VMOVUPS 192(R12), Y5; \
	VMOVUPS 384(R12), Y6; \
	VMOVUPS 576(R12), Y7; \
	OUTT1D; \
	VMOVUPS Y0, (AX); \
	VMOVUPS Y1, (AX)(R9*1); \
	VMOVUPS Y2, (AX)(R9*2); \
	VMOVUPS Y3, (AX)(R10*1); \
	VMOVUPS Y4, (AX)(R9*4); \
	VMOVUPS Y5, (AX)(R11*1); \
	ADDQ    R8, AX; \
	ADDQ    $32, R12

// func winoOutT4AVX2(y []float32, ldy int, m []float32, ms, tw int)
//
// WinogradOutputGrad4 on whole groups of 8 tiles, y = ∂L/∂Y and m = ∂M:
// reads 4 rows of 4·⌈tw/8⌉·8 floats of y and writes as many tiles into
// each of m's 36 rows (the wrapper checks the room).
TEXT ·winoOutT4AVX2(SB), $768-72
	MOVQ y_base+0(FP), DI
	MOVQ ldy+24(FP), BX
	SHLQ $2, BX
	MOVQ m_base+32(FP), SI
	MOVQ ms+56(FP), R8
	SHLQ $2, R8             // bytes between the rows ξ of m
	MOVQ tw+64(FP), CX
	OUT4SETUP

woutt4_loop:
	MOVQ DI, DX
	LEAQ 0(SP), R12
	MOVQ $4, R13

woutt4_rows:
	DROW4(DX)
	ADDQ BX, DX
	DECQ R13
	JNZ  woutt4_rows
	MOVQ SI, AX
	LEAQ 0(SP), R12
	MOVQ $6, R13

woutt4_cols:
	DCOL6
	DECQ R13
	JNZ  woutt4_cols
	ADDQ $128, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JG   woutt4_loop
	VZEROUPPER
	RET

//go:build amd64 && !purego

#include "textflag.h"

// Tables for maxPool3x3s2AVX512: the even and odd floats of 32 (VPERMT2PS
// indices over two registers), and 0, 2, ..., 30 (int32: the column of each
// lane's window).
DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64
DATA poolOdd<>+0(SB)/4, $1
DATA poolOdd<>+4(SB)/4, $3
DATA poolOdd<>+8(SB)/4, $5
DATA poolOdd<>+12(SB)/4, $7
DATA poolOdd<>+16(SB)/4, $9
DATA poolOdd<>+20(SB)/4, $11
DATA poolOdd<>+24(SB)/4, $13
DATA poolOdd<>+28(SB)/4, $15
DATA poolOdd<>+32(SB)/4, $17
DATA poolOdd<>+36(SB)/4, $19
DATA poolOdd<>+40(SB)/4, $21
DATA poolOdd<>+44(SB)/4, $23
DATA poolOdd<>+48(SB)/4, $25
DATA poolOdd<>+52(SB)/4, $27
DATA poolOdd<>+56(SB)/4, $29
DATA poolOdd<>+60(SB)/4, $31
GLOBL poolOdd<>(SB), RODATA|NOPTR, $64

// func maxPool3x3s2AVX512(x []float32, s0, w, n int, out []float32, arg []int32)
//
// n (a multiple of 16) outputs of a 3x3, stride-2 max pool whose windows
// lie inside the plane x (rows w floats long): output j's window has its
// top-left at flat index s0+2j. It computes maxPool3x3s2Go: out[j] is the
// first maximum of the window's nine elements in row-major order (or its
// last NaN), arg[j] its flat index (arg not written when empty). Each
// element is taken by a compare (greater, or unordered with itself) and a
// masked move, in the same order as the Go loop's branches, so the value
// and the index are the same, without branches to mispredict. Reads x up
// to index s0+2w+2n, the last window's last element (the caller checks).
TEXT ·maxPool3x3s2AVX512(SB), NOSPLIT, $0-96
	MOVQ x_base+0(FP), SI
	MOVQ s0+24(FP), AX
	LEAQ (SI)(AX*4), SI // the first window's top-left
	MOVQ w+32(FP), BX
	SHLQ $2, BX // row stride in bytes
	MOVQ n+40(FP), CX
	MOVQ out_base+48(FP), DI
	MOVQ arg_base+72(FP), DX
	MOVQ arg_len+80(FP), R8
	VMOVDQU32 poolEven<>(SB), Z0
	VMOVDQU32 poolOdd<>(SB), Z1
	VPBROADCASTD AX, Z2
	VPADDD Z0, Z2, Z2 // lane j: s0+2j, the flat index of its window
	MOVL $32, R9
	VPBROADCASTD R9, Z3
	// Z4..Z12: the offset of element (r, c) within the window, r*w + c.
	MOVQ w+32(FP), R10
	VPXORD Z4, Z4, Z4
	MOVQ $1, R9
	VPBROADCASTD R9, Z5
	MOVQ $2, R9
	VPBROADCASTD R9, Z6
	LEAQ 0(R10*1), R9
	VPBROADCASTD R9, Z7
	LEAQ 1(R10*1), R9
	VPBROADCASTD R9, Z8
	LEAQ 2(R10*1), R9
	VPBROADCASTD R9, Z9
	LEAQ 0(R10*2), R9
	VPBROADCASTD R9, Z10
	LEAQ 1(R10*2), R9
	VPBROADCASTD R9, Z11
	LEAQ 2(R10*2), R9
	VPBROADCASTD R9, Z12
	MOVL $0x7fff, R9
	KMOVW R9, K3
	TESTQ CX, CX
	JZ done

loop:
	MOVQ SI, R11
	// row 0: the windows' columns 0, 1, 2 = even, odd, even from 2
	VMOVUPS (R11), Z13
	VMOVUPS 64(R11), Z14
	VMOVUPS 8(R11), Z15
	VMOVUPS.Z 72(R11), K3, Z16 // floats 18-32: none past the last window
	VMOVAPS Z13, Z17
	VPERMT2PS Z14, Z0, Z17
	VMOVAPS Z13, Z18
	VPERMT2PS Z14, Z1, Z18
	VMOVAPS Z15, Z19
	VPERMT2PS Z16, Z0, Z19
	VMOVAPS Z17, Z20 // best
	VMOVDQA32 Z2, Z21 // its index
	VCMPPS $0x1e, Z20, Z18, K1 // greater than best
	VCMPPS $0x03, Z18, Z18, K2 // NaN
	KORW K2, K1, K1
	VMOVAPS Z18, K1, Z20
	VPADDD Z5, Z2, Z22
	VMOVDQA32 Z22, K1, Z21
	VCMPPS $0x1e, Z20, Z19, K1 // greater than best
	VCMPPS $0x03, Z19, Z19, K2 // NaN
	KORW K2, K1, K1
	VMOVAPS Z19, K1, Z20
	VPADDD Z6, Z2, Z22
	VMOVDQA32 Z22, K1, Z21
	ADDQ BX, R11
	// row 1: the windows' columns 0, 1, 2 = even, odd, even from 2
	VMOVUPS (R11), Z13
	VMOVUPS 64(R11), Z14
	VMOVUPS 8(R11), Z15
	VMOVUPS.Z 72(R11), K3, Z16 // floats 18-32: none past the last window
	VMOVAPS Z13, Z17
	VPERMT2PS Z14, Z0, Z17
	VMOVAPS Z13, Z18
	VPERMT2PS Z14, Z1, Z18
	VMOVAPS Z15, Z19
	VPERMT2PS Z16, Z0, Z19
	VCMPPS $0x1e, Z20, Z17, K1 // greater than best
	VCMPPS $0x03, Z17, Z17, K2 // NaN
	KORW K2, K1, K1
	VMOVAPS Z17, K1, Z20
	VPADDD Z7, Z2, Z22
	VMOVDQA32 Z22, K1, Z21
	VCMPPS $0x1e, Z20, Z18, K1 // greater than best
	VCMPPS $0x03, Z18, Z18, K2 // NaN
	KORW K2, K1, K1
	VMOVAPS Z18, K1, Z20
	VPADDD Z8, Z2, Z22
	VMOVDQA32 Z22, K1, Z21
	VCMPPS $0x1e, Z20, Z19, K1 // greater than best
	VCMPPS $0x03, Z19, Z19, K2 // NaN
	KORW K2, K1, K1
	VMOVAPS Z19, K1, Z20
	VPADDD Z9, Z2, Z22
	VMOVDQA32 Z22, K1, Z21
	ADDQ BX, R11
	// row 2: the windows' columns 0, 1, 2 = even, odd, even from 2
	VMOVUPS (R11), Z13
	VMOVUPS 64(R11), Z14
	VMOVUPS 8(R11), Z15
	VMOVUPS.Z 72(R11), K3, Z16 // floats 18-32: none past the last window
	VMOVAPS Z13, Z17
	VPERMT2PS Z14, Z0, Z17
	VMOVAPS Z13, Z18
	VPERMT2PS Z14, Z1, Z18
	VMOVAPS Z15, Z19
	VPERMT2PS Z16, Z0, Z19
	VCMPPS $0x1e, Z20, Z17, K1 // greater than best
	VCMPPS $0x03, Z17, Z17, K2 // NaN
	KORW K2, K1, K1
	VMOVAPS Z17, K1, Z20
	VPADDD Z10, Z2, Z22
	VMOVDQA32 Z22, K1, Z21
	VCMPPS $0x1e, Z20, Z18, K1 // greater than best
	VCMPPS $0x03, Z18, Z18, K2 // NaN
	KORW K2, K1, K1
	VMOVAPS Z18, K1, Z20
	VPADDD Z11, Z2, Z22
	VMOVDQA32 Z22, K1, Z21
	VCMPPS $0x1e, Z20, Z19, K1 // greater than best
	VCMPPS $0x03, Z19, Z19, K2 // NaN
	KORW K2, K1, K1
	VMOVAPS Z19, K1, Z20
	VPADDD Z12, Z2, Z22
	VMOVDQA32 Z22, K1, Z21
	VMOVUPS Z20, (DI)
	TESTQ R8, R8
	JZ noarg
	VMOVDQU32 Z21, (DX)
	ADDQ $64, DX
noarg:
	ADDQ $128, SI
	ADDQ $64, DI
	VPADDD Z3, Z2, Z2
	SUBQ $16, CX
	JNZ loop

done:
	VZEROUPPER
	RET

//go:build amd64 && !purego

#include "textflag.h"

// Depthwise tap kernels (AVX-512F + BMI2). Both read a zero-padded input
// plane (see depthwise_plan.go), so they never test bounds: a tap t is just
// an element offset offs[t] into the padded plane, and row tails of fewer
// than 16 (or 32) columns are handled with AVX-512 masks (masked loads do
// not fault on the lanes they skip).

// MASKS sets K1 to the lanes [i, i+16) and K2 to [i+16, i+32) that lie
// below n, for i in CX and n in R14 (clobbers AX, BX, DX).
#define MASKS \
	MOVQ R14, AX; \
	SUBQ CX, AX; \
	MOVQ $32, DX; \
	CMPQ AX, DX; \
	CMOVQGT DX, AX; \
	MOVL $0xFFFF, DX; \
	BZHIL AX, DX, BX; \
	KMOVW BX, K1; \
	XORQ BX, BX; \
	SUBQ $16, AX; \
	CMOVQLT BX, AX; \
	BZHIL AX, DX, BX; \
	KMOVW BX, K2

// func dwTapsAVX512(dst []float32, dstStride, rows, n int, src []float32, srcStride int, offs []int, w []float32, bias float32, acc int)
//
// It computes this Go loop (dwTapsGo is the same loop, blocked), with FMAs:
//
//	for r := 0; r < rows; r++ {
//		for i := 0; i < n; i++ {
//			s := bias
//			if acc != 0 {
//				s += dst[r*dstStride+i]
//			}
//			for t, o := range offs {
//				s += w[t] * src[r*srcStride+o+i]
//			}
//			dst[r*dstStride+i] = s
//		}
//	}
//
// Blocking: 4 rows x 32 columns (8 zmm accumulators) when n > 16, 8 rows x
// 16 columns when n <= 16 (narrow planes such as 14x14 or 7x7), then single
// rows; one broadcast of w[t] serves all accumulators of a tap.
TEXT ·dwTapsAVX512(SB), NOSPLIT, $0-144
	MOVQ dst_base+0(FP), DI
	MOVQ dstStride+24(FP), R11
	SHLQ $2, R11
	MOVQ rows+32(FP), R13
	MOVQ n+40(FP), R14
	MOVQ src_base+48(FP), SI
	MOVQ srcStride+72(FP), R12
	SHLQ $2, R12
	MOVQ offs_base+80(FP), R8
	MOVQ offs_len+88(FP), R10
	MOVQ w_base+104(FP), R9
	VBROADCASTSS bias+128(FP), Z31
	LEAQ (R12)(R12*2), R15
	TESTQ R14, R14
	JLE  tdone
	CMPQ R14, $16
	JLE  trows8

trows4:
	CMPQ R13, $4
	JLT  trows1
	XORQ CX, CX

tcols4:
	MASKS
	VMOVAPS Z31, Z0
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	VMOVAPS Z31, Z4
	VMOVAPS Z31, Z5
	VMOVAPS Z31, Z6
	VMOVAPS Z31, Z7
	CMPQ acc+136(FP), $0
	JEQ  ttaps4
	LEAQ (DI)(CX*4), AX
	VADDPS (AX), Z0, K1, Z0
	VADDPS 64(AX), Z1, K2, Z1
	VADDPS (AX)(R11*1), Z2, K1, Z2
	VADDPS 64(AX)(R11*1), Z3, K2, Z3
	VADDPS (AX)(R11*2), Z4, K1, Z4
	VADDPS 64(AX)(R11*2), Z5, K2, Z5
	LEAQ (AX)(R11*2), AX
	VADDPS (AX)(R11*1), Z6, K1, Z6
	VADDPS 64(AX)(R11*1), Z7, K2, Z7

ttaps4:
	XORQ BX, BX
	CMPQ BX, R10
	JGE  tstore4

ttap4:
	MOVQ (R8)(BX*8), AX
	ADDQ CX, AX
	LEAQ (SI)(AX*4), DX
	VBROADCASTSS (R9)(BX*4), Z30
	VFMADD231PS (DX), Z30, K1, Z0
	VFMADD231PS 64(DX), Z30, K2, Z1
	VFMADD231PS (DX)(R12*1), Z30, K1, Z2
	VFMADD231PS 64(DX)(R12*1), Z30, K2, Z3
	VFMADD231PS (DX)(R12*2), Z30, K1, Z4
	VFMADD231PS 64(DX)(R12*2), Z30, K2, Z5
	VFMADD231PS (DX)(R15*1), Z30, K1, Z6
	VFMADD231PS 64(DX)(R15*1), Z30, K2, Z7
	INCQ BX
	CMPQ BX, R10
	JLT  ttap4

tstore4:
	LEAQ (DI)(CX*4), AX
	VMOVUPS Z0, K1, (AX)
	VMOVUPS Z1, K2, 64(AX)
	VMOVUPS Z2, K1, (AX)(R11*1)
	VMOVUPS Z3, K2, 64(AX)(R11*1)
	VMOVUPS Z4, K1, (AX)(R11*2)
	VMOVUPS Z5, K2, 64(AX)(R11*2)
	LEAQ (AX)(R11*2), AX
	VMOVUPS Z6, K1, (AX)(R11*1)
	VMOVUPS Z7, K2, 64(AX)(R11*1)
	ADDQ $32, CX
	CMPQ CX, R14
	JLT  tcols4
	LEAQ (DI)(R11*4), DI
	LEAQ (SI)(R12*4), SI
	SUBQ $4, R13
	JMP  trows4

// Narrow planes: 8 rows x one masked vector.
trows8:
	XORQ CX, CX
	MASKS

trows8loop:
	CMPQ R13, $8
	JLT  trows1
	VMOVAPS Z31, Z0
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	VMOVAPS Z31, Z4
	VMOVAPS Z31, Z5
	VMOVAPS Z31, Z6
	VMOVAPS Z31, Z7
	CMPQ acc+136(FP), $0
	JEQ  ttaps8
	MOVQ DI, AX
	VADDPS (AX), Z0, K1, Z0
	VADDPS (AX)(R11*1), Z1, K1, Z1
	VADDPS (AX)(R11*2), Z2, K1, Z2
	LEAQ (AX)(R11*2), AX
	VADDPS (AX)(R11*1), Z3, K1, Z3
	VADDPS (AX)(R11*2), Z4, K1, Z4
	LEAQ (AX)(R11*2), AX
	VADDPS (AX)(R11*1), Z5, K1, Z5
	VADDPS (AX)(R11*2), Z6, K1, Z6
	LEAQ (AX)(R11*2), AX
	VADDPS (AX)(R11*1), Z7, K1, Z7

ttaps8:
	XORQ BX, BX
	CMPQ BX, R10
	JGE  tstore8

ttap8:
	MOVQ (R8)(BX*8), AX
	LEAQ (SI)(AX*4), DX
	LEAQ (DX)(R12*4), AX
	VBROADCASTSS (R9)(BX*4), Z30
	VFMADD231PS (DX), Z30, K1, Z0
	VFMADD231PS (DX)(R12*1), Z30, K1, Z1
	VFMADD231PS (DX)(R12*2), Z30, K1, Z2
	VFMADD231PS (DX)(R15*1), Z30, K1, Z3
	VFMADD231PS (AX), Z30, K1, Z4
	VFMADD231PS (AX)(R12*1), Z30, K1, Z5
	VFMADD231PS (AX)(R12*2), Z30, K1, Z6
	VFMADD231PS (AX)(R15*1), Z30, K1, Z7
	INCQ BX
	CMPQ BX, R10
	JLT  ttap8

tstore8:
	MOVQ DI, AX
	VMOVUPS Z0, K1, (AX)
	VMOVUPS Z1, K1, (AX)(R11*1)
	VMOVUPS Z2, K1, (AX)(R11*2)
	LEAQ (AX)(R11*2), AX
	VMOVUPS Z3, K1, (AX)(R11*1)
	VMOVUPS Z4, K1, (AX)(R11*2)
	LEAQ (AX)(R11*2), AX
	VMOVUPS Z5, K1, (AX)(R11*1)
	VMOVUPS Z6, K1, (AX)(R11*2)
	LEAQ (AX)(R11*2), AX
	VMOVUPS Z7, K1, (AX)(R11*1)
	LEAQ (DI)(R11*8), DI
	LEAQ (SI)(R12*8), SI
	SUBQ $8, R13
	JMP  trows8loop

// Remaining rows one at a time, 32 columns per step.
trows1:
	TESTQ R13, R13
	JLE   tdone
	XORQ  CX, CX

tcols1:
	MASKS
	VMOVAPS Z31, Z0
	VMOVAPS Z31, Z1
	CMPQ acc+136(FP), $0
	JEQ  ttaps1
	VADDPS (DI)(CX*4), Z0, K1, Z0
	VADDPS 64(DI)(CX*4), Z1, K2, Z1

ttaps1:
	XORQ BX, BX
	CMPQ BX, R10
	JGE  tstore1

ttap1:
	MOVQ (R8)(BX*8), AX
	ADDQ CX, AX
	LEAQ (SI)(AX*4), DX
	VBROADCASTSS (R9)(BX*4), Z30
	VFMADD231PS (DX), Z30, K1, Z0
	VFMADD231PS 64(DX), Z30, K2, Z1
	INCQ BX
	CMPQ BX, R10
	JLT  ttap1

tstore1:
	VMOVUPS Z0, K1, (DI)(CX*4)
	VMOVUPS Z1, K2, 64(DI)(CX*4)
	ADDQ $32, CX
	CMPQ CX, R14
	JLT  tcols1
	ADDQ R11, DI
	ADDQ R12, SI
	DECQ R13
	JMP  trows1

tdone:
	VZEROUPPER
	RET

// HSUM adds the lanes of Z0+Z1 into the float32 at (AX) (clobbers Z0, Z1).
#define HSUM \
	VADDPS Z1, Z0, Z0; \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VADDPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0x4E, X0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0xB1, X0, X1; \
	VADDPS X1, X0, X0; \
	VADDSS (AX), X0, X0; \
	VMOVSS X0, (AX)

// func dwDotAVX512(acc []float32, g []float32, gStride, rows, n int, src []float32, srcStride int, offs []int)
//
// It computes this Go loop (dwDotGo is the same loop, blocked), in a
// different summation order:
//
//	for t, o := range offs {
//		var s float32
//		for r := 0; r < rows; r++ {
//			for i := 0; i < n; i++ {
//				s += g[r*gStride+i] * src[r*srcStride+o+i]
//			}
//		}
//		acc[t] += s
//	}
//
// For each 32-column strip, taps go four at a time (8 accumulators, one
// load of g serving four FMAs), then one at a time.
TEXT ·dwDotAVX512(SB), NOSPLIT, $0-128
	MOVQ g_base+24(FP), DX
	MOVQ gStride+48(FP), R13
	SHLQ $2, R13
	MOVQ n+64(FP), R14
	MOVQ src_base+72(FP), DI
	MOVQ srcStride+96(FP), R12
	SHLQ $2, R12
	MOVQ offs_base+104(FP), R10
	TESTQ R14, R14
	JLE  ddone
	CMPQ rows+56(FP), $0
	JLE  ddone
	XORQ CX, CX

dstrip:
	MASKS
	MOVQ g_base+24(FP), DX
	MOVQ CX, SI
	XORQ BX, BX

dgroup4:
	MOVQ offs_len+112(FP), AX
	SUBQ BX, AX
	CMPQ AX, $4
	JLT  dgroup1
	// P0..P3 = &src[offs[t+j] + i], R15 = &g[i]
	MOVQ (R10)(BX*8), AX
	ADDQ SI, AX
	LEAQ (DI)(AX*4), AX
	MOVQ 8(R10)(BX*8), CX
	ADDQ SI, CX
	LEAQ (DI)(CX*4), CX
	MOVQ 16(R10)(BX*8), R8
	ADDQ SI, R8
	LEAQ (DI)(R8*4), R8
	MOVQ 24(R10)(BX*8), R9
	ADDQ SI, R9
	LEAQ (DI)(R9*4), R9
	LEAQ (DX)(SI*4), R15
	MOVQ rows+56(FP), R11
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7

drow4:
	VMOVUPS.Z (R15), K1, Z8
	VMOVUPS.Z 64(R15), K2, Z9
	VFMADD231PS (AX), Z8, K1, Z0
	VFMADD231PS 64(AX), Z9, K2, Z1
	VFMADD231PS (CX), Z8, K1, Z2
	VFMADD231PS 64(CX), Z9, K2, Z3
	VFMADD231PS (R8), Z8, K1, Z4
	VFMADD231PS 64(R8), Z9, K2, Z5
	VFMADD231PS (R9), Z8, K1, Z6
	VFMADD231PS 64(R9), Z9, K2, Z7
	ADDQ R12, AX
	ADDQ R12, CX
	ADDQ R12, R8
	ADDQ R12, R9
	ADDQ R13, R15
	DECQ R11
	JNZ  drow4
	MOVQ acc_base+0(FP), AX
	LEAQ (AX)(BX*4), AX
	HSUM
	VMOVAPS Z2, Z0
	VMOVAPS Z3, Z1
	ADDQ $4, AX
	HSUM
	VMOVAPS Z4, Z0
	VMOVAPS Z5, Z1
	ADDQ $4, AX
	HSUM
	VMOVAPS Z6, Z0
	VMOVAPS Z7, Z1
	ADDQ $4, AX
	HSUM
	ADDQ $4, BX
	JMP  dgroup4

dgroup1:
	CMPQ BX, offs_len+112(FP)
	JGE  dnext
	MOVQ (R10)(BX*8), AX
	ADDQ SI, AX
	LEAQ (DI)(AX*4), AX
	LEAQ (DX)(SI*4), R15
	MOVQ rows+56(FP), R11
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1

drow1:
	VMOVUPS.Z (R15), K1, Z8
	VMOVUPS.Z 64(R15), K2, Z9
	VFMADD231PS (AX), Z8, K1, Z0
	VFMADD231PS 64(AX), Z9, K2, Z1
	ADDQ R12, AX
	ADDQ R13, R15
	DECQ R11
	JNZ  drow1
	MOVQ acc_base+0(FP), AX
	LEAQ (AX)(BX*4), AX
	HSUM
	INCQ BX
	JMP  dgroup1

dnext:
	MOVQ SI, CX
	ADDQ $32, CX
	CMPQ CX, R14
	JLT  dstrip

ddone:
	VZEROUPPER
	RET

// func dwCopyRowsAVX512(dst []float32, dstStride int, src []float32, srcStride, rows, n int)
//
// It computes this Go loop (dwCopyRowsGo), with masked moves instead of a
// memmove call per row (rows of a 28x28 plane are 112 bytes):
//
//	for r := 0; r < rows; r++ {
//		copy(dst[r*dstStride:r*dstStride+n], src[r*srcStride:r*srcStride+n])
//	}
TEXT ·dwCopyRowsAVX512(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ dstStride+24(FP), R11
	SHLQ $2, R11
	MOVQ src_base+32(FP), SI
	MOVQ srcStride+56(FP), R12
	SHLQ $2, R12
	MOVQ rows+64(FP), R13
	MOVQ n+72(FP), R14
	TESTQ R14, R14
	JLE  cdone

crow:
	TESTQ R13, R13
	JLE   cdone
	XORQ  CX, CX

ccol:
	MASKS
	VMOVUPS.Z (SI)(CX*4), K1, Z0
	VMOVUPS.Z 64(SI)(CX*4), K2, Z1
	VMOVUPS Z0, K1, (DI)(CX*4)
	VMOVUPS Z1, K2, 64(DI)(CX*4)
	ADDQ $32, CX
	CMPQ CX, R14
	JLT  ccol
	ADDQ R11, DI
	ADDQ R12, SI
	DECQ R13
	JMP  crow

cdone:
	VZEROUPPER
	RET

// Lane indices for VPERMT2PS over the 32 floats of two zmm registers.
DATA dwEvenIdx<>+0(SB)/4, $0
DATA dwEvenIdx<>+4(SB)/4, $2
DATA dwEvenIdx<>+8(SB)/4, $4
DATA dwEvenIdx<>+12(SB)/4, $6
DATA dwEvenIdx<>+16(SB)/4, $8
DATA dwEvenIdx<>+20(SB)/4, $10
DATA dwEvenIdx<>+24(SB)/4, $12
DATA dwEvenIdx<>+28(SB)/4, $14
DATA dwEvenIdx<>+32(SB)/4, $16
DATA dwEvenIdx<>+36(SB)/4, $18
DATA dwEvenIdx<>+40(SB)/4, $20
DATA dwEvenIdx<>+44(SB)/4, $22
DATA dwEvenIdx<>+48(SB)/4, $24
DATA dwEvenIdx<>+52(SB)/4, $26
DATA dwEvenIdx<>+56(SB)/4, $28
DATA dwEvenIdx<>+60(SB)/4, $30
GLOBL dwEvenIdx<>(SB), RODATA|NOPTR, $64

// func dwSplit2AVX512(even, odd, src []float32, n int)
//
// It computes this Go loop (dwSplit2Go): the columns of one row by parity,
// the input layout of a stride-2 depthwise convolution.
//
//	for i := 0; i < n; i++ {
//		if i%2 == 0 {
//			even[i/2] = src[i]
//		} else {
//			odd[i/2] = src[i]
//		}
//	}
TEXT ·dwSplit2AVX512(SB), NOSPLIT, $0-80
	MOVQ even_base+0(FP), DI
	MOVQ odd_base+24(FP), R8
	MOVQ src_base+48(FP), SI
	MOVQ n+72(FP), R14
	VMOVUPS dwEvenIdx<>(SB), Z4
	MOVL $1, AX
	VPBROADCASTD AX, Z5
	VPADDD Z5, Z4, Z5 // odd lane indices 1, 3, ..., 31
	XORQ CX, CX
	TESTQ R14, R14
	JLE  sdone

scol:
	MASKS
	VMOVUPS.Z (SI)(CX*4), K1, Z0
	VMOVUPS.Z 64(SI)(CX*4), K2, Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z4, Z0 // Z0 = evens
	VPERMT2PS Z1, Z5, Z2 // Z2 = odds
	// AX = min(n-i, 32): ceil(AX/2) evens and floor(AX/2) odds to store.
	MOVQ R14, AX
	SUBQ CX, AX
	MOVQ $32, DX
	CMPQ AX, DX
	CMOVQGT DX, AX
	MOVL $0xFFFF, DX
	LEAQ 1(AX), BX
	SHRQ $1, BX
	BZHIL BX, DX, BX
	KMOVW BX, K3
	SHRQ $1, AX
	BZHIL AX, DX, BX
	KMOVW BX, K4
	MOVQ CX, BX
	SHRQ $1, BX
	VMOVUPS Z0, K3, (DI)(BX*4)
	VMOVUPS Z2, K4, (R8)(BX*4)
	ADDQ $32, CX
	CMPQ CX, R14
	JLT  scol

sdone:
	VZEROUPPER
	RET

// func dwSplit2RowsAVX512(dst []float32, dstStride, oddOff int, src []float32, srcStride, rows, n int)
//
// dwSplit2AVX512 on each of rows rows (dwSplit2RowsGo): row r of src (n
// values at r·srcStride) goes to evens at dst[r·dstStride:] and odds at
// dst[r·dstStride + oddOff:]. One call per plane instead of one per row.
TEXT ·dwSplit2RowsAVX512(SB), NOSPLIT, $0-88
	VMOVUPS dwEvenIdx<>(SB), Z4
	MOVL $1, AX
	VPBROADCASTD AX, Z5
	VPADDD Z5, Z4, Z5
	MOVQ dst_base+0(FP), DI
	MOVQ dstStride+24(FP), R10
	SHLQ $2, R10
	MOVQ oddOff+32(FP), R13
	SHLQ $2, R13
	MOVQ src_base+40(FP), SI
	MOVQ srcStride+64(FP), R11
	SHLQ $2, R11
	MOVQ rows+72(FP), R9
	MOVQ n+80(FP), R14
	TESTQ R14, R14
	JLE  s2rdone
	TESTQ R9, R9
	JLE  s2rdone

s2rrow: // DI: the row's evens, R8 its odds, SI the source row
	LEAQ (DI)(R13*1), R8
	XORQ CX, CX

s2rcol:
	MASKS
	VMOVUPS.Z (SI)(CX*4), K1, Z0
	VMOVUPS.Z 64(SI)(CX*4), K2, Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z4, Z0
	VPERMT2PS Z1, Z5, Z2
	MOVQ R14, AX
	SUBQ CX, AX
	MOVQ $32, DX
	CMPQ AX, DX
	CMOVQGT DX, AX
	MOVL $0xFFFF, DX
	LEAQ 1(AX), BX
	SHRQ $1, BX
	BZHIL BX, DX, BX
	KMOVW BX, K3
	SHRQ $1, AX
	BZHIL AX, DX, BX
	KMOVW BX, K4
	MOVQ CX, BX
	SHRQ $1, BX
	VMOVUPS Z0, K3, (DI)(BX*4)
	VMOVUPS Z2, K4, (R8)(BX*4)
	ADDQ $32, CX
	CMPQ CX, R14
	JLT  s2rcol
	ADDQ R10, DI
	ADDQ R11, SI
	DECQ R9
	JNZ  s2rrow

s2rdone:
	VZEROUPPER
	RET

// func dwMerge2AVX512(dst, even, odd []float32, n, acc int)
//
// The inverse of dwSplit2AVX512 (dwMerge2Go): dst[i] = (acc ≠ 0 ? dst[i] :
// 0) + (even[i/2] for even i, odd[i/2] for odd i), i < n. It adds the
// column phases of a stride-2 input gradient back into ∂L/∂x.
TEXT ·dwMerge2AVX512(SB), NOSPLIT, $0-88
	MOVQ dst_base+0(FP), DI
	MOVQ even_base+24(FP), SI
	MOVQ odd_base+48(FP), R8
	MOVQ n+72(FP), R14
	MOVQ acc+80(FP), R9
	VMOVUPS dwLoIdx<>(SB), Z4
	VMOVUPS dwHiIdx<>(SB), Z5
	XORQ CX, CX
	TESTQ R14, R14
	JLE  mdone

mcol:
	MASKS
	// K3, K4: the ceil(m/2) evens and floor(m/2) odds of this block, m = min(n-i, 32).
	MOVQ R14, AX
	SUBQ CX, AX
	MOVQ $32, DX
	CMPQ AX, DX
	CMOVQGT DX, AX
	MOVL $0xFFFF, DX
	LEAQ 1(AX), BX
	SHRQ $1, BX
	BZHIL BX, DX, BX
	KMOVW BX, K3
	SHRQ $1, AX
	BZHIL AX, DX, BX
	KMOVW BX, K4
	MOVQ CX, BX
	SHRQ $1, BX
	VMOVUPS.Z (SI)(BX*4), K3, Z0
	VMOVUPS.Z (R8)(BX*4), K4, Z1
	VMOVAPS Z0, Z2
	VPERMT2PS Z1, Z4, Z0 // lanes 0..15 of the interleave
	VPERMT2PS Z1, Z5, Z2 // lanes 16..31
	TESTQ R9, R9
	JZ    mstore
	VADDPS.Z (DI)(CX*4), Z0, K1, Z0
	VADDPS.Z 64(DI)(CX*4), Z2, K2, Z2

mstore:
	VMOVUPS Z0, K1, (DI)(CX*4)
	VMOVUPS Z2, K2, 64(DI)(CX*4)
	ADDQ $32, CX
	CMPQ CX, R14
	JLT  mcol

mdone:
	VZEROUPPER
	RET

// dwLoIdx / dwHiIdx: VPERMT2PS indices interleaving a (evens, 0..15) and
// b (odds, 16..31): a0 b0 a1 b1 ... a7 b7, then a8 b8 ... a15 b15.
DATA dwLoIdx<>+0(SB)/4, $0
DATA dwLoIdx<>+4(SB)/4, $16
DATA dwLoIdx<>+8(SB)/4, $1
DATA dwLoIdx<>+12(SB)/4, $17
DATA dwLoIdx<>+16(SB)/4, $2
DATA dwLoIdx<>+20(SB)/4, $18
DATA dwLoIdx<>+24(SB)/4, $3
DATA dwLoIdx<>+28(SB)/4, $19
DATA dwLoIdx<>+32(SB)/4, $4
DATA dwLoIdx<>+36(SB)/4, $20
DATA dwLoIdx<>+40(SB)/4, $5
DATA dwLoIdx<>+44(SB)/4, $21
DATA dwLoIdx<>+48(SB)/4, $6
DATA dwLoIdx<>+52(SB)/4, $22
DATA dwLoIdx<>+56(SB)/4, $7
DATA dwLoIdx<>+60(SB)/4, $23
GLOBL dwLoIdx<>(SB), RODATA|NOPTR, $64

DATA dwHiIdx<>+0(SB)/4, $8
DATA dwHiIdx<>+4(SB)/4, $24
DATA dwHiIdx<>+8(SB)/4, $9
DATA dwHiIdx<>+12(SB)/4, $25
DATA dwHiIdx<>+16(SB)/4, $10
DATA dwHiIdx<>+20(SB)/4, $26
DATA dwHiIdx<>+24(SB)/4, $11
DATA dwHiIdx<>+28(SB)/4, $27
DATA dwHiIdx<>+32(SB)/4, $12
DATA dwHiIdx<>+36(SB)/4, $28
DATA dwHiIdx<>+40(SB)/4, $13
DATA dwHiIdx<>+44(SB)/4, $29
DATA dwHiIdx<>+48(SB)/4, $14
DATA dwHiIdx<>+52(SB)/4, $30
DATA dwHiIdx<>+56(SB)/4, $15
DATA dwHiIdx<>+60(SB)/4, $31
GLOBL dwHiIdx<>(SB), RODATA|NOPTR, $64

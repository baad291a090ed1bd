//go:build amd64 && !purego

#include "textflag.h"

// LOAD4(P, S, S3, A, B, C, D): A..D = the 64-byte rows at P, P+S, P+2S,
// P+S3 (S3 = 3S), then P += 4S.
#define LOAD4(P, S, S3, A, B, C, D) \
	VMOVUPS (P), A; \
	VMOVUPS (P)(S*1), B; \
	VMOVUPS (P)(S*2), C; \
	VMOVUPS (P)(S3*1), D; \
	LEAQ    (P)(S*4), P

// STORE4(P, S, S3, A, B, C, D): A..D to the rows at P, P+S, P+2S, P+S3,
// then P += 4S.
#define STORE4(P, S, S3, A, B, C, D) \
	VMOVUPS A, (P); \
	VMOVUPS B, (P)(S*1); \
	VMOVUPS C, (P)(S*2); \
	VMOVUPS D, (P)(S3*1); \
	LEAQ    (P)(S*4), P

// func transpose16xNAVX512(dst []float32, ldd int, src []float32, lds int, nblk int)
//
// For b < nblk, transposes the 16 x 16 block src[i*lds + 16b + j] (i, j <
// 16) into dst[(16b+j)*ldd + i]: it computes exactly this Go loop (a plain
// copy, the same bits):
//
//	for b := 0; b < nblk; b++ {
//		for i := 0; i < 16; i++ {
//			for j := 0; j < 16; j++ {
//				dst[(16*b+j)*ldd+i] = src[i*lds+16*b+j]
//			}
//		}
//	}
//
// The 16 rows are loaded into Z0-Z15 and transposed in four shuffle stages
// (pairs of rows, groups of four within 128-bit lanes, then 128-bit lanes
// across rows twice) through Z16-Z31.
TEXT ·transpose16xNAVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ ldd+24(FP), DX
	SHLQ $2, DX // row stride of dst in bytes
	MOVQ src_base+32(FP), SI
	MOVQ lds+56(FP), BX
	SHLQ $2, BX // row stride of src in bytes
	MOVQ nblk+64(FP), CX
	TESTQ CX, CX
	JZ   done
	// R8 = 3*lds (bytes), R9 = 3*ldd (bytes)
	LEAQ (BX)(BX*2), R8
	LEAQ (DX)(DX*2), R9

loop:
	MOVQ SI, R10
	LOAD4(R10, BX, R8, Z0, Z1, Z2, Z3)
	LOAD4(R10, BX, R8, Z4, Z5, Z6, Z7)
	LOAD4(R10, BX, R8, Z8, Z9, Z10, Z11)
	LOAD4(R10, BX, R8, Z12, Z13, Z14, Z15)
	// 1: interleave rows 2i and 2i+1 within each 128-bit lane (Z16-Z31)
	VUNPCKLPS Z1, Z0, Z16
	VUNPCKHPS Z1, Z0, Z17
	VUNPCKLPS Z3, Z2, Z18
	VUNPCKHPS Z3, Z2, Z19
	VUNPCKLPS Z5, Z4, Z20
	VUNPCKHPS Z5, Z4, Z21
	VUNPCKLPS Z7, Z6, Z22
	VUNPCKHPS Z7, Z6, Z23
	VUNPCKLPS Z9, Z8, Z24
	VUNPCKHPS Z9, Z8, Z25
	VUNPCKLPS Z11, Z10, Z26
	VUNPCKHPS Z11, Z10, Z27
	VUNPCKLPS Z13, Z12, Z28
	VUNPCKHPS Z13, Z12, Z29
	VUNPCKLPS Z15, Z14, Z30
	VUNPCKHPS Z15, Z14, Z31
	// 2: groups of four rows, one column per 128-bit lane (Z0-Z15)
	VSHUFPS $0x44, Z18, Z16, Z0
	VSHUFPS $0xEE, Z18, Z16, Z1
	VSHUFPS $0x44, Z19, Z17, Z2
	VSHUFPS $0xEE, Z19, Z17, Z3
	VSHUFPS $0x44, Z22, Z20, Z4
	VSHUFPS $0xEE, Z22, Z20, Z5
	VSHUFPS $0x44, Z23, Z21, Z6
	VSHUFPS $0xEE, Z23, Z21, Z7
	VSHUFPS $0x44, Z26, Z24, Z8
	VSHUFPS $0xEE, Z26, Z24, Z9
	VSHUFPS $0x44, Z27, Z25, Z10
	VSHUFPS $0xEE, Z27, Z25, Z11
	VSHUFPS $0x44, Z30, Z28, Z12
	VSHUFPS $0xEE, Z30, Z28, Z13
	VSHUFPS $0x44, Z31, Z29, Z14
	VSHUFPS $0xEE, Z31, Z29, Z15
	// 3: even and odd 128-bit lanes of rows 0-3 with rows 4-7, and of 8-11 with 12-15 (Z16-Z31)
	VSHUFF32X4 $0x88, Z4, Z0, Z16
	VSHUFF32X4 $0xDD, Z4, Z0, Z17
	VSHUFF32X4 $0x88, Z12, Z8, Z18
	VSHUFF32X4 $0xDD, Z12, Z8, Z19
	VSHUFF32X4 $0x88, Z5, Z1, Z20
	VSHUFF32X4 $0xDD, Z5, Z1, Z21
	VSHUFF32X4 $0x88, Z13, Z9, Z22
	VSHUFF32X4 $0xDD, Z13, Z9, Z23
	VSHUFF32X4 $0x88, Z6, Z2, Z24
	VSHUFF32X4 $0xDD, Z6, Z2, Z25
	VSHUFF32X4 $0x88, Z14, Z10, Z26
	VSHUFF32X4 $0xDD, Z14, Z10, Z27
	VSHUFF32X4 $0x88, Z7, Z3, Z28
	VSHUFF32X4 $0xDD, Z7, Z3, Z29
	VSHUFF32X4 $0x88, Z15, Z11, Z30
	VSHUFF32X4 $0xDD, Z15, Z11, Z31
	// 4: the output rows, column c of the input in Zc (Z0-Z15)
	VSHUFF32X4 $0x88, Z18, Z16, Z0
	VSHUFF32X4 $0xDD, Z18, Z16, Z8
	VSHUFF32X4 $0x88, Z19, Z17, Z4
	VSHUFF32X4 $0xDD, Z19, Z17, Z12
	VSHUFF32X4 $0x88, Z22, Z20, Z1
	VSHUFF32X4 $0xDD, Z22, Z20, Z9
	VSHUFF32X4 $0x88, Z23, Z21, Z5
	VSHUFF32X4 $0xDD, Z23, Z21, Z13
	VSHUFF32X4 $0x88, Z26, Z24, Z2
	VSHUFF32X4 $0xDD, Z26, Z24, Z10
	VSHUFF32X4 $0x88, Z27, Z25, Z6
	VSHUFF32X4 $0xDD, Z27, Z25, Z14
	VSHUFF32X4 $0x88, Z30, Z28, Z3
	VSHUFF32X4 $0xDD, Z30, Z28, Z11
	VSHUFF32X4 $0x88, Z31, Z29, Z7
	VSHUFF32X4 $0xDD, Z31, Z29, Z15
	MOVQ DI, R11
	STORE4(R11, DX, R9, Z0, Z1, Z2, Z3)
	STORE4(R11, DX, R9, Z4, Z5, Z6, Z7)
	STORE4(R11, DX, R9, Z8, Z9, Z10, Z11)
	STORE4(R11, DX, R9, Z12, Z13, Z14, Z15)
	// next block: 16 columns of src on, 16 rows of dst down
	ADDQ $64, SI
	MOVQ R11, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func copyRows32AVX512(dst, src []float32, lds, rows int)
//
// Copies rows of 32 floats: dst[p*32+j] = src[p*lds+j] for p < rows, j < 32
// (the B micro-panel of the 12x32 kernel, packB without a transpose).
TEXT ·copyRows32AVX512(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ lds+48(FP), BX
	SHLQ $2, BX
	MOVQ rows+56(FP), CX
	TESTQ CX, CX
	JZ   cdone

cloop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ BX, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  cloop

cdone:
	VZEROUPPER
	RET

// func gatherRows32AVX512(dst, src []float32, offs []int)
//
//	for p, o := range offs {
//		copy(dst[p*32:p*32+32], src[o:o+32])
//	}
//
// packBRows' full panels (gemm_rows.go): 32 floats from each offset.
TEXT ·gatherRows32AVX512(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ offs_base+48(FP), DX
	MOVQ offs_len+56(FP), CX
	TESTQ CX, CX
	JZ   gdone

gloop:
	MOVQ    (DX), AX
	VMOVUPS (SI)(AX*4), Z0
	VMOVUPS 64(SI)(AX*4), Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ    $8, DX
	ADDQ    $128, DI
	DECQ    CX
	JNZ     gloop

gdone:
	VZEROUPPER
	RET

// func copyRows16AVX2(dst, src []float32, lds, rows int)
//
// copyRows32AVX512 for the 16-column B micro-panel of the 6x16 AVX2
// kernels: dst[p*16+j] = src[p*lds+j] for p < rows, j < 16.
TEXT ·copyRows16AVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ lds+48(FP), BX
	SHLQ $2, BX
	MOVQ rows+56(FP), CX
	TESTQ CX, CX
	JZ   c16done

c16loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ BX, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  c16loop

c16done:
	VZEROUPPER
	RET

// func gatherRows16AVX2(dst, src []float32, offs []int)
//
// gatherRows32AVX512 for the 16-column B micro-panel: 16 floats from
// src[o:] for each o in offs.
TEXT ·gatherRows16AVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ offs_base+48(FP), DX
	MOVQ offs_len+56(FP), CX
	TESTQ CX, CX
	JZ   g16done

g16loop:
	MOVQ    (DX), AX
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $8, DX
	ADDQ    $64, DI
	DECQ    CX
	JNZ     g16loop

g16done:
	VZEROUPPER
	RET

// func transpose8xNAVX2(dst []float32, ldd int, src []float32, lds int, nblk int)
//
// transpose16xNAVX512 on 8 x 8 blocks, for CPUs without AVX-512: for b <
// nblk, dst[(8*b+j)*ldd+i] = src[i*lds+8*b+j], i, j < 8 (a plain copy, the
// same bits). The 8 rows are loaded into Y0-Y7 and transposed in three
// shuffle stages through Y8-Y15: pairs of rows, groups of four within
// 128-bit lanes, then 128-bit lanes across rows 0-3 and 4-7.
TEXT ·transpose8xNAVX2(SB), NOSPLIT, $0-72
	MOVQ  dst_base+0(FP), DI
	MOVQ  ldd+24(FP), DX
	SHLQ  $2, DX
	MOVQ  src_base+32(FP), SI
	MOVQ  lds+56(FP), BX
	SHLQ  $2, BX
	MOVQ  nblk+64(FP), CX
	TESTQ CX, CX
	JZ    done8
	LEAQ  (BX)(BX*2), R8
	LEAQ  (DX)(DX*2), R9

loop8:
	MOVQ      SI, R10
	LOAD4(R10, BX, R8, Y0, Y1, Y2, Y3)
	LOAD4(R10, BX, R8, Y4, Y5, Y6, Y7)
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS   $0x44, Y10, Y8, Y0
	VSHUFPS   $0xEE, Y10, Y8, Y1
	VSHUFPS   $0x44, Y11, Y9, Y2
	VSHUFPS   $0xEE, Y11, Y9, Y3
	VSHUFPS   $0x44, Y14, Y12, Y4
	VSHUFPS   $0xEE, Y14, Y12, Y5
	VSHUFPS   $0x44, Y15, Y13, Y6
	VSHUFPS   $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	MOVQ      DI, R11
	STORE4(R11, DX, R9, Y8, Y9, Y10, Y11)
	STORE4(R11, DX, R9, Y12, Y13, Y14, Y15)
	ADDQ      $32, SI
	MOVQ      R11, DI
	DECQ      CX
	JNZ       loop8

done8:
	VZEROUPPER
	RET

//go:build amd64 && !purego

#include "textflag.h"

// The flat small-plane 3x3 depthwise kernels (depthwise_flat.go), AVX-512F.
// Each chunk of 16 outputs: per tap one KMOVW of its mask and one masked
// VFMADD231PS with the source row as a memory operand (masked-off lanes are
// neither loaded nor can they fault, so reads before or after the plane
// are harmless). Row pointers: R10 = the row above (p − W), R9 = p, and
// R10 again for the row below (p + W); column offsets −1, 0, +1 are the
// displacements −4, 0, 4.

// TAPROW(R, M, WA, WB, WC, ACC, KA, KB, KC): the three taps of one kernel
// row at row pointer R, masks at M(BX), M+2(BX), M+4(BX).
#define TAPROW(R, M, WA, WB, WC, ACC) \
	KMOVW       M(BX), K1; \
	VFMADD231PS -4(R), WA, K1, ACC; \
	KMOVW       M+2(BX), K2; \
	VFMADD231PS 0(R), WB, K2, ACC; \
	KMOVW       M+4(BX), K3; \
	VFMADD231PS 4(R), WC, K3, ACC

// DOTROW(R, M, A, B, C): the dot products of the three taps of one kernel
// row, g in Z9: A += g·src(−1), B += g·src(0), C += g·src(+1), masked.
#define DOTROW(R, M, A, B, C) \
	KMOVW       M(BX), K1; \
	VFMADD231PS -4(R), Z9, K1, A; \
	KMOVW       M+2(BX), K2; \
	VFMADD231PS 0(R), Z9, K2, B; \
	KMOVW       M+4(BX), K3; \
	VFMADD231PS 4(R), Z9, K3, C

// HSUM16(Z, Y, X, T): X lane 0 = the sum of Z's 16 lanes, in a fixed tree
// (high 8 onto low 8, then 4, 2, 1); T (an xmm) is clobbered.
#define HSUM16(Z, Y, X, T) \
	VEXTRACTF32X8 $1, Z, Y9; \
	VADDPS        Y9, Y, Y; \
	VEXTRACTF128  $1, Y, T; \
	VADDPS        T, X, X; \
	VPERMILPS     $0x4e, X, T; \
	VADDPS        T, X, X; \
	VPERMILPS     $0xb1, X, T; \
	VADDPS        T, X, X

// func dwFlat3x3AVX512(out, x []float32, n, cstride, hw, w int, masks []uint16, wt *[9]float32, bias float32, acc int)
//
// As dwFlat3x3Go: for each of n planes, out = bias (+ out) + Σ_t w[t]·x[p + off_t].
TEXT ·dwFlat3x3AVX512(SB), NOSPLIT, $0-128
	MOVQ         out_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         n+48(FP), CX
	MOVQ         cstride+56(FP), DX
	SHLQ         $2, DX
	MOVQ         hw+64(FP), R13
	ADDQ         $15, R13
	SHRQ         $4, R13
	MOVQ         w+72(FP), R11
	SHLQ         $2, R11
	MOVQ         masks_base+80(FP), R14
	MOVQ         wt+104(FP), AX
	VBROADCASTSS 0(AX), Z16
	VBROADCASTSS 4(AX), Z17
	VBROADCASTSS 8(AX), Z18
	VBROADCASTSS 12(AX), Z19
	VBROADCASTSS 16(AX), Z20
	VBROADCASTSS 20(AX), Z21
	VBROADCASTSS 24(AX), Z22
	VBROADCASTSS 28(AX), Z23
	VBROADCASTSS 32(AX), Z24
	VBROADCASTSS bias+112(FP), Z25
	MOVQ         acc+120(FP), AX
	TESTQ        CX, CX
	JZ           flat_done
	TESTQ        R13, R13
	JZ           flat_done

flat_img:
	MOVQ DI, R8
	MOVQ SI, R9
	MOVQ R14, BX
	MOVQ R13, R12

flat_chunk:
	KMOVW   18(BX), K7
	VMOVAPS Z25, Z0
	TESTQ   AX, AX
	JZ      flat_noacc
	VMOVUPS.Z (R8), K7, Z1
	VADDPS  Z1, Z0, Z0

flat_noacc:
	MOVQ    R9, R10
	SUBQ    R11, R10
	TAPROW(R10, 0, Z16, Z17, Z18, Z0)
	TAPROW(R9, 6, Z19, Z20, Z21, Z0)
	LEAQ    (R9)(R11*1), R10
	TAPROW(R10, 12, Z22, Z23, Z24, Z0)
	VMOVUPS Z0, K7, (R8)
	ADDQ    $64, R8
	ADDQ    $64, R9
	ADDQ    $20, BX
	DECQ    R12
	JNZ     flat_chunk
	ADDQ    DX, DI
	ADDQ    DX, SI
	DECQ    CX
	JNZ     flat_img

flat_done:
	VZEROUPPER
	RET

// func dwFlatDot3x3AVX512(dw *[9]float32, g, x []float32, n, cstride, hw, w int, masks []uint16)
//
// As dwFlatDot3x3Go: dw[t] += Σ g[p]·x[p + off_t] over every plane and the
// lanes of tap t's masks; tap t's products gather in the 16 lanes of Z_t in
// plane and chunk order, then one fixed tree (HSUM16) per tap.
TEXT ·dwFlatDot3x3AVX512(SB), NOSPLIT, $0-112
	MOVQ   g_base+8(FP), DI
	MOVQ   x_base+32(FP), SI
	MOVQ   n+56(FP), CX
	MOVQ   cstride+64(FP), DX
	SHLQ   $2, DX
	MOVQ   hw+72(FP), R13
	ADDQ   $15, R13
	SHRQ   $4, R13
	MOVQ   w+80(FP), R11
	SHLQ   $2, R11
	MOVQ   masks_base+88(FP), R14
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4
	VXORPS Z5, Z5, Z5
	VXORPS Z6, Z6, Z6
	VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8
	TESTQ  CX, CX
	JZ     fdot_reduce
	TESTQ  R13, R13
	JZ     fdot_reduce

fdot_img:
	MOVQ DI, R8
	MOVQ SI, R9
	MOVQ R14, BX
	MOVQ R13, R12

fdot_chunk:
	KMOVW     18(BX), K7
	VMOVUPS.Z (R8), K7, Z9
	MOVQ      R9, R10
	SUBQ      R11, R10
	DOTROW(R10, 0, Z0, Z1, Z2)
	DOTROW(R9, 6, Z3, Z4, Z5)
	LEAQ      (R9)(R11*1), R10
	DOTROW(R10, 12, Z6, Z7, Z8)
	ADDQ      $64, R8
	ADDQ      $64, R9
	ADDQ      $20, BX
	DECQ      R12
	JNZ       fdot_chunk
	ADDQ      DX, DI
	ADDQ      DX, SI
	DECQ      CX
	JNZ       fdot_img

fdot_reduce:
	MOVQ   dw+0(FP), AX
	HSUM16(Z0, Y0, X0, X10)
	VADDSS 0(AX), X0, X0
	VMOVSS X0, 0(AX)
	HSUM16(Z1, Y1, X1, X10)
	VADDSS 4(AX), X1, X1
	VMOVSS X1, 4(AX)
	HSUM16(Z2, Y2, X2, X10)
	VADDSS 8(AX), X2, X2
	VMOVSS X2, 8(AX)
	HSUM16(Z3, Y3, X3, X10)
	VADDSS 12(AX), X3, X3
	VMOVSS X3, 12(AX)
	HSUM16(Z4, Y4, X4, X10)
	VADDSS 16(AX), X4, X4
	VMOVSS X4, 16(AX)
	HSUM16(Z5, Y5, X5, X10)
	VADDSS 20(AX), X5, X5
	VMOVSS X5, 20(AX)
	HSUM16(Z6, Y6, X6, X10)
	VADDSS 24(AX), X6, X6
	VMOVSS X6, 24(AX)
	HSUM16(Z7, Y7, X7, X10)
	VADDSS 28(AX), X7, X7
	VMOVSS X7, 28(AX)
	HSUM16(Z8, Y8, X8, X10)
	VADDSS 32(AX), X8, X8
	VMOVSS X8, 32(AX)
	VZEROUPPER
	RET

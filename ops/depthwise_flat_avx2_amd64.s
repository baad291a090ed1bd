//go:build amd64 && !purego

#include "textflag.h"

// The flat small-plane 3x3 depthwise kernels (depthwise_flat.go) for CPUs
// with AVX2 + FMA but no AVX-512. They give the bits of the AVX-512 ones
// (depthwise_flat_amd64.s): a 16-output chunk is two 8-lane halves (ymm,
// lanes 0-7 and 8-15), and every lane sees the fused multiply-adds of the
// same lane there, in the same order (TestDepthwiseFlatKernelsExact).
//
// Masks: half h (0 or 1) of a chunk's uint16 mask is its byte h (bits
// 0-7, 8-15). A MOVBLZX of that byte indexes flatLanes<>, whose entry i is
// 8 bytes, 0xff where bit j of i is set, and VPMOVSXBD widens them to 8
// dwords of all ones or zeros: the lane mask of VMASKMOVPS (masked-off
// lanes are not loaded, read as 0, and cannot fault, so the reads before
// and after a plane touch nothing; a masked store writes only the store
// mask's lanes) and of VBLENDVPS. Only a byte is read where a mask is 2
// bytes.
//
// Masked-off taps are exact: the AVX-512 kernels' merge-masked FMA leaves
// a masked-off lane's sum untouched, while an FMA on the 0 that VMASKMOVPS
// loads there gives sum + w·0, which differs when the sum is −0 (a bias
// of −0, or a product that rounds to −0: −0 + +0 = +0) and when w (g in
// the dot) is ±Inf or NaN (Inf·0 = NaN). So each tap computes the FMA into
// a copy of the sum and VBLENDVPS takes it only in the tap's lanes. The
// blend costs nothing measurable in the dot kernel (nine independent
// sums) and 10-25% in the forward kernel alone (one sum per lane: the
// blend is on its FMA chain; 4x4 to 14x14 planes, 32 planes in L1, Zen 3),
// 1-7% of DepthwiseForward on the benchmark's small-plane shapes; the
// forward recovers more than that by running two planes at once (four
// independent chains), so it is chosen: the bits are the AVX-512 ones,
// whatever the data.
//
// Row pointers: R10 (R13 for a second plane) = the row above the chunk
// (p − W) at column 0; the chunk's own row is R10(R11*1) and the row below
// R10(R11*2) (R11 = W·4); columns −1, 0, +1 are the displacements −4, 0,
// 4, plus 32 for the high half. R9 = flatLanes<>; AX a mask byte.

// LANES(MOFF, Y): Y = the lane mask of mask byte MOFF(BX).
#define LANES(MOFF, Y) \
	MOVBLZX   MOFF(BX), AX; \
	VPMOVSXBD (R9)(AX*8), Y

// LANESTO(K): the lane mask of mask byte K(BX) to 32·K(SP).
#define LANESTO(K) \
	LANES(K, Y4); \
	VMOVDQU Y4, (32*K)(SP)

// FTAP(SLOT, SRCA, SRCB, W, A, B): one forward tap of one half on planes A
// and B, lane mask at SLOT(SP): A = fma(W, SRCA, A) and B = fma(W, SRCB,
// B) in the mask's lanes (Y4 the mask, Y5 the source, Y6 the new sum).
#define FTAP(SLOT, SRCA, SRCB, W, A, B) \
	VMOVDQU     SLOT(SP), Y4; \
	VMASKMOVPS  SRCA, Y4, Y5; \
	VMOVAPS     A, Y6; \
	VFMADD231PS Y5, W, Y6; \
	VBLENDVPS   Y4, Y6, A, A; \
	VMASKMOVPS  SRCB, Y4, Y5; \
	VMOVAPS     B, Y6; \
	VFMADD231PS Y5, W, Y6; \
	VBLENDVPS   Y4, Y6, B, B

// DTAP(MOFF, SRC, A): one dot tap, mask byte MOFF(BX): A = fma(g, SRC, A)
// in the mask's lanes, g in Y9 (Y10 the mask, Y11 the source, Y12 the new
// sum).
#define DTAP(MOFF, SRC, A) \
	LANES(MOFF, Y10); \
	VMASKMOVPS  SRC, Y10, Y11; \
	VMOVAPS     A, Y12; \
	VFMADD231PS Y11, Y9, Y12; \
	VBLENDVPS   Y10, Y12, A, A

// DSTART: Y0..Y8 = 0, DI = g, SI = the row above x, CX = n.
#define DSTART \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	MOVQ   g_base+8(FP), DI; \
	MOVQ   x_base+32(FP), SI; \
	SUBQ   R11, SI; \
	MOVQ   n+56(FP), CX

// DRED(A, SOFF, DOFF): HSUM16 of dwFlatDot3x3AVX512 on the 16 lanes of a
// tap's sum, the low half at SOFF(SP) and the high half in A: lane i of
// the low half plus lane i of the high half (its VEXTRACTF32X8 +
// VADDPS), then the 128-bit halves, VPERMILPS 0x4e, 0xb1; then dw[DOFF/4]
// = sum + dw[DOFF/4].
#define DRED(A, SOFF, DOFF) \
	VMOVUPS      SOFF(SP), Y10; \
	VADDPS       A, Y10, Y10; \
	VEXTRACTF128 $1, Y10, X11; \
	VADDPS       X11, X10, X10; \
	VPERMILPS    $0x4e, X10, X11; \
	VADDPS       X11, X10, X10; \
	VPERMILPS    $0xb1, X10, X11; \
	VADDPS       X11, X10, X10; \
	VADDSS       DOFF(AX), X10, X10; \
	VMOVSS       X10, DOFF(AX)

// func dwFlat3x3AVX2(out, x []float32, n, cstride, hw, w int, masks []uint16, wt *[9]float32, bias float32, acc int)
//
// As dwFlat3x3AVX512: for each of n planes, out = bias (+ out) + Σ_t w[t]·x[p + off_t].
// Each output lane is computed alone, so the loops go chunk by chunk and,
// inside, two planes at a time: the chunk's 20 lane masks are widened once
// into the frame (tap t's half h at 32·(2t+h)(SP), the store mask's at
// 576 and 608), and the four sums (plane A: Y0 low half, Y1 high; plane
// B: Y2, Y3) are four independent chains of FMA + blend, which hide each
// other's latency. An odd last plane goes as A and B at once (the same
// pointers: both read out before either stores, and both store the same
// values). Y7..Y15 the weights. R8, R10: plane A's output and row above;
// R14, R13: plane B's; DI, SI: the chunk in plane 0; R12 the chunks left,
// CX the planes left.
TEXT ·dwFlat3x3AVX2(SB), $640-128
	MOVQ         out_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         cstride+56(FP), DX
	SHLQ         $2, DX
	MOVQ         hw+64(FP), R12
	ADDQ         $15, R12
	SHRQ         $4, R12
	MOVQ         w+72(FP), R11
	SHLQ         $2, R11
	MOVQ         masks_base+80(FP), BX
	MOVQ         wt+104(FP), AX
	VBROADCASTSS 0(AX), Y7
	VBROADCASTSS 4(AX), Y8
	VBROADCASTSS 8(AX), Y9
	VBROADCASTSS 12(AX), Y10
	VBROADCASTSS 16(AX), Y11
	VBROADCASTSS 20(AX), Y12
	VBROADCASTSS 24(AX), Y13
	VBROADCASTSS 28(AX), Y14
	VBROADCASTSS 32(AX), Y15
	LEAQ         flatLanes<>(SB), R9
	SUBQ         R11, SI
	CMPQ         n+48(FP), $0
	JEQ          flat2_done
	TESTQ        R12, R12
	JZ           flat2_done

flat2_chunk:
	LANESTO(0)
	LANESTO(1)
	LANESTO(2)
	LANESTO(3)
	LANESTO(4)
	LANESTO(5)
	LANESTO(6)
	LANESTO(7)
	LANESTO(8)
	LANESTO(9)
	LANESTO(10)
	LANESTO(11)
	LANESTO(12)
	LANESTO(13)
	LANESTO(14)
	LANESTO(15)
	LANESTO(16)
	LANESTO(17)
	LANESTO(18)
	LANESTO(19)
	MOVQ DI, R8
	MOVQ SI, R10
	MOVQ n+48(FP), CX

flat2_pair:
	MOVQ R8, R14
	MOVQ R10, R13
	CMPQ CX, $2
	JLT  flat2_sums
	ADDQ DX, R14
	ADDQ DX, R13

flat2_sums:
	VBROADCASTSS bias+112(FP), Y0
	VMOVAPS      Y0, Y1
	VMOVAPS      Y0, Y2
	VMOVAPS      Y0, Y3
	CMPQ         acc+120(FP), $0
	JEQ          flat2_taps
	MOVWLZX      18(BX), AX
	CMPL         AX, $0xffff
	JNE          flat2_accpart
	VADDPS       (R8), Y0, Y0
	VADDPS       32(R8), Y1, Y1
	VADDPS       (R14), Y2, Y2
	VADDPS       32(R14), Y3, Y3

flat2_taps:
	FTAP(0, -4(R10), -4(R13), Y7, Y0, Y2)
	FTAP(64, 0(R10), 0(R13), Y8, Y0, Y2)
	FTAP(128, 4(R10), 4(R13), Y9, Y0, Y2)
	FTAP(192, -4(R10)(R11*1), -4(R13)(R11*1), Y10, Y0, Y2)
	FTAP(256, 0(R10)(R11*1), 0(R13)(R11*1), Y11, Y0, Y2)
	FTAP(320, 4(R10)(R11*1), 4(R13)(R11*1), Y12, Y0, Y2)
	FTAP(384, -4(R10)(R11*2), -4(R13)(R11*2), Y13, Y0, Y2)
	FTAP(448, 0(R10)(R11*2), 0(R13)(R11*2), Y14, Y0, Y2)
	FTAP(512, 4(R10)(R11*2), 4(R13)(R11*2), Y15, Y0, Y2)
	FTAP(32, 28(R10), 28(R13), Y7, Y1, Y3)
	FTAP(96, 32(R10), 32(R13), Y8, Y1, Y3)
	FTAP(160, 36(R10), 36(R13), Y9, Y1, Y3)
	FTAP(224, 28(R10)(R11*1), 28(R13)(R11*1), Y10, Y1, Y3)
	FTAP(288, 32(R10)(R11*1), 32(R13)(R11*1), Y11, Y1, Y3)
	FTAP(352, 36(R10)(R11*1), 36(R13)(R11*1), Y12, Y1, Y3)
	FTAP(416, 28(R10)(R11*2), 28(R13)(R11*2), Y13, Y1, Y3)
	FTAP(480, 32(R10)(R11*2), 32(R13)(R11*2), Y14, Y1, Y3)
	FTAP(544, 36(R10)(R11*2), 36(R13)(R11*2), Y15, Y1, Y3)
	MOVWLZX 18(BX), AX
	CMPL    AX, $0xffff
	JNE     flat2_storepart
	VMOVUPS Y0, (R8)
	VMOVUPS Y1, 32(R8)
	VMOVUPS Y2, (R14)
	VMOVUPS Y3, 32(R14)

flat2_next:
	LEAQ (R8)(DX*2), R8
	LEAQ (R10)(DX*2), R10
	SUBQ $2, CX
	JGT  flat2_pair
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $20, BX
	DECQ R12
	JNZ  flat2_chunk

flat2_done:
	VZEROUPPER
	RET

// The chunk's last lanes lie past the plane: out read and written under
// the store mask.
flat2_accpart:
	VMOVDQU    576(SP), Y4
	VMASKMOVPS (R8), Y4, Y5
	VADDPS     Y5, Y0, Y0
	VMASKMOVPS (R14), Y4, Y5
	VADDPS     Y5, Y2, Y2
	VMOVDQU    608(SP), Y4
	VMASKMOVPS 32(R8), Y4, Y5
	VADDPS     Y5, Y1, Y1
	VMASKMOVPS 32(R14), Y4, Y5
	VADDPS     Y5, Y3, Y3
	JMP        flat2_taps

flat2_storepart:
	VMOVDQU    576(SP), Y4
	VMASKMOVPS Y0, Y4, (R8)
	VMASKMOVPS Y2, Y4, (R14)
	VMOVDQU    608(SP), Y4
	VMASKMOVPS Y1, Y4, 32(R8)
	VMASKMOVPS Y3, Y4, 32(R14)
	JMP        flat2_next

// func dwFlatDot3x3AVX2(dw *[9]float32, g, x []float32, n, cstride, hw, w int, masks []uint16)
//
// As dwFlatDot3x3AVX512: lane l of tap t's sum gathers the products of
// lane l of every chunk, plane by plane and chunk by chunk, as lane l of
// Z_t there. Two passes over the data: lanes 0-7 of every chunk (Y0..Y8,
// one per tap, then kept in the frame), then lanes 8-15 (Y0..Y8 again);
// g in Y9, loaded under the store mask. R8 = g at the chunk, R10 = x's
// row above it.
TEXT ·dwFlatDot3x3AVX2(SB), $288-112
	MOVQ cstride+64(FP), DX
	SHLQ $2, DX
	MOVQ hw+72(FP), R13
	ADDQ $15, R13
	SHRQ $4, R13
	MOVQ w+80(FP), R11
	SHLQ $2, R11
	MOVQ masks_base+88(FP), R14
	LEAQ flatLanes<>(SB), R9
	DSTART
	TESTQ CX, CX
	JZ    fdot2_lodone
	TESTQ R13, R13
	JZ    fdot2_lodone

fdot2_loimg:
	MOVQ DI, R8
	MOVQ SI, R10
	MOVQ R14, BX
	MOVQ R13, R12

fdot2_lochunk:
	LANES(18, Y13)
	VMASKMOVPS 0(R8), Y13, Y9
	DTAP(0, -4(R10), Y0)
	DTAP(2, 0(R10), Y1)
	DTAP(4, 4(R10), Y2)
	DTAP(6, -4(R10)(R11*1), Y3)
	DTAP(8, 0(R10)(R11*1), Y4)
	DTAP(10, 4(R10)(R11*1), Y5)
	DTAP(12, -4(R10)(R11*2), Y6)
	DTAP(14, 0(R10)(R11*2), Y7)
	DTAP(16, 4(R10)(R11*2), Y8)
	ADDQ $64, R8
	ADDQ $64, R10
	ADDQ $20, BX
	DECQ R12
	JNZ  fdot2_lochunk
	ADDQ DX, DI
	ADDQ DX, SI
	DECQ CX
	JNZ  fdot2_loimg

fdot2_lodone:
	VMOVUPS Y0, 0(SP)
	VMOVUPS Y1, 32(SP)
	VMOVUPS Y2, 64(SP)
	VMOVUPS Y3, 96(SP)
	VMOVUPS Y4, 128(SP)
	VMOVUPS Y5, 160(SP)
	VMOVUPS Y6, 192(SP)
	VMOVUPS Y7, 224(SP)
	VMOVUPS Y8, 256(SP)
	DSTART
	TESTQ CX, CX
	JZ    fdot2_reduce
	TESTQ R13, R13
	JZ    fdot2_reduce

fdot2_hiimg:
	MOVQ DI, R8
	MOVQ SI, R10
	MOVQ R14, BX
	MOVQ R13, R12

fdot2_hichunk:
	LANES(19, Y13)
	VMASKMOVPS 32(R8), Y13, Y9
	DTAP(1, 28(R10), Y0)
	DTAP(3, 32(R10), Y1)
	DTAP(5, 36(R10), Y2)
	DTAP(7, 28(R10)(R11*1), Y3)
	DTAP(9, 32(R10)(R11*1), Y4)
	DTAP(11, 36(R10)(R11*1), Y5)
	DTAP(13, 28(R10)(R11*2), Y6)
	DTAP(15, 32(R10)(R11*2), Y7)
	DTAP(17, 36(R10)(R11*2), Y8)
	ADDQ $64, R8
	ADDQ $64, R10
	ADDQ $20, BX
	DECQ R12
	JNZ  fdot2_hichunk
	ADDQ DX, DI
	ADDQ DX, SI
	DECQ CX
	JNZ  fdot2_hiimg

fdot2_reduce:
	MOVQ dw+0(FP), AX
	DRED(Y0, 0, 0)
	DRED(Y1, 32, 4)
	DRED(Y2, 64, 8)
	DRED(Y3, 96, 12)
	DRED(Y4, 128, 16)
	DRED(Y5, 160, 20)
	DRED(Y6, 192, 24)
	DRED(Y7, 224, 28)
	DRED(Y8, 256, 32)
	VZEROUPPER
	RET

// flatLanes<>: entry i (8 bytes) has byte j = 0xff where bit j of i is
// set, else 0 (LANES widens it to a ymm lane mask). Generated:
//
//	for i := 0; i < 256; i++ {
//		var v uint64
//		for j := 0; j < 8; j++ {
//			if i>>j&1 != 0 {
//				v |= 0xff << (8 * j)
//			}
//		}
//		fmt.Printf("DATA flatLanes<>+%d(SB)/8, $0x%016x\n", 8*i, v)
//	}
DATA flatLanes<>+0(SB)/8, $0x0000000000000000
DATA flatLanes<>+8(SB)/8, $0x00000000000000ff
DATA flatLanes<>+16(SB)/8, $0x000000000000ff00
DATA flatLanes<>+24(SB)/8, $0x000000000000ffff
DATA flatLanes<>+32(SB)/8, $0x0000000000ff0000
DATA flatLanes<>+40(SB)/8, $0x0000000000ff00ff
DATA flatLanes<>+48(SB)/8, $0x0000000000ffff00
DATA flatLanes<>+56(SB)/8, $0x0000000000ffffff
DATA flatLanes<>+64(SB)/8, $0x00000000ff000000
DATA flatLanes<>+72(SB)/8, $0x00000000ff0000ff
DATA flatLanes<>+80(SB)/8, $0x00000000ff00ff00
DATA flatLanes<>+88(SB)/8, $0x00000000ff00ffff
DATA flatLanes<>+96(SB)/8, $0x00000000ffff0000
DATA flatLanes<>+104(SB)/8, $0x00000000ffff00ff
DATA flatLanes<>+112(SB)/8, $0x00000000ffffff00
DATA flatLanes<>+120(SB)/8, $0x00000000ffffffff
DATA flatLanes<>+128(SB)/8, $0x000000ff00000000
DATA flatLanes<>+136(SB)/8, $0x000000ff000000ff
DATA flatLanes<>+144(SB)/8, $0x000000ff0000ff00
DATA flatLanes<>+152(SB)/8, $0x000000ff0000ffff
DATA flatLanes<>+160(SB)/8, $0x000000ff00ff0000
DATA flatLanes<>+168(SB)/8, $0x000000ff00ff00ff
DATA flatLanes<>+176(SB)/8, $0x000000ff00ffff00
DATA flatLanes<>+184(SB)/8, $0x000000ff00ffffff
DATA flatLanes<>+192(SB)/8, $0x000000ffff000000
DATA flatLanes<>+200(SB)/8, $0x000000ffff0000ff
DATA flatLanes<>+208(SB)/8, $0x000000ffff00ff00
DATA flatLanes<>+216(SB)/8, $0x000000ffff00ffff
DATA flatLanes<>+224(SB)/8, $0x000000ffffff0000
DATA flatLanes<>+232(SB)/8, $0x000000ffffff00ff
DATA flatLanes<>+240(SB)/8, $0x000000ffffffff00
DATA flatLanes<>+248(SB)/8, $0x000000ffffffffff
DATA flatLanes<>+256(SB)/8, $0x0000ff0000000000
DATA flatLanes<>+264(SB)/8, $0x0000ff00000000ff
DATA flatLanes<>+272(SB)/8, $0x0000ff000000ff00
DATA flatLanes<>+280(SB)/8, $0x0000ff000000ffff
DATA flatLanes<>+288(SB)/8, $0x0000ff0000ff0000
DATA flatLanes<>+296(SB)/8, $0x0000ff0000ff00ff
DATA flatLanes<>+304(SB)/8, $0x0000ff0000ffff00
DATA flatLanes<>+312(SB)/8, $0x0000ff0000ffffff
DATA flatLanes<>+320(SB)/8, $0x0000ff00ff000000
DATA flatLanes<>+328(SB)/8, $0x0000ff00ff0000ff
DATA flatLanes<>+336(SB)/8, $0x0000ff00ff00ff00
DATA flatLanes<>+344(SB)/8, $0x0000ff00ff00ffff
DATA flatLanes<>+352(SB)/8, $0x0000ff00ffff0000
DATA flatLanes<>+360(SB)/8, $0x0000ff00ffff00ff
DATA flatLanes<>+368(SB)/8, $0x0000ff00ffffff00
DATA flatLanes<>+376(SB)/8, $0x0000ff00ffffffff
DATA flatLanes<>+384(SB)/8, $0x0000ffff00000000
DATA flatLanes<>+392(SB)/8, $0x0000ffff000000ff
DATA flatLanes<>+400(SB)/8, $0x0000ffff0000ff00
DATA flatLanes<>+408(SB)/8, $0x0000ffff0000ffff
DATA flatLanes<>+416(SB)/8, $0x0000ffff00ff0000
DATA flatLanes<>+424(SB)/8, $0x0000ffff00ff00ff
DATA flatLanes<>+432(SB)/8, $0x0000ffff00ffff00
DATA flatLanes<>+440(SB)/8, $0x0000ffff00ffffff
DATA flatLanes<>+448(SB)/8, $0x0000ffffff000000
DATA flatLanes<>+456(SB)/8, $0x0000ffffff0000ff
DATA flatLanes<>+464(SB)/8, $0x0000ffffff00ff00
DATA flatLanes<>+472(SB)/8, $0x0000ffffff00ffff
DATA flatLanes<>+480(SB)/8, $0x0000ffffffff0000
DATA flatLanes<>+488(SB)/8, $0x0000ffffffff00ff
DATA flatLanes<>+496(SB)/8, $0x0000ffffffffff00
DATA flatLanes<>+504(SB)/8, $0x0000ffffffffffff
DATA flatLanes<>+512(SB)/8, $0x00ff000000000000
DATA flatLanes<>+520(SB)/8, $0x00ff0000000000ff
DATA flatLanes<>+528(SB)/8, $0x00ff00000000ff00
DATA flatLanes<>+536(SB)/8, $0x00ff00000000ffff
DATA flatLanes<>+544(SB)/8, $0x00ff000000ff0000
DATA flatLanes<>+552(SB)/8, $0x00ff000000ff00ff
DATA flatLanes<>+560(SB)/8, $0x00ff000000ffff00
DATA flatLanes<>+568(SB)/8, $0x00ff000000ffffff
DATA flatLanes<>+576(SB)/8, $0x00ff0000ff000000
DATA flatLanes<>+584(SB)/8, $0x00ff0000ff0000ff
DATA flatLanes<>+592(SB)/8, $0x00ff0000ff00ff00
DATA flatLanes<>+600(SB)/8, $0x00ff0000ff00ffff
DATA flatLanes<>+608(SB)/8, $0x00ff0000ffff0000
DATA flatLanes<>+616(SB)/8, $0x00ff0000ffff00ff
DATA flatLanes<>+624(SB)/8, $0x00ff0000ffffff00
DATA flatLanes<>+632(SB)/8, $0x00ff0000ffffffff
DATA flatLanes<>+640(SB)/8, $0x00ff00ff00000000
DATA flatLanes<>+648(SB)/8, $0x00ff00ff000000ff
DATA flatLanes<>+656(SB)/8, $0x00ff00ff0000ff00
DATA flatLanes<>+664(SB)/8, $0x00ff00ff0000ffff
DATA flatLanes<>+672(SB)/8, $0x00ff00ff00ff0000
DATA flatLanes<>+680(SB)/8, $0x00ff00ff00ff00ff
DATA flatLanes<>+688(SB)/8, $0x00ff00ff00ffff00
DATA flatLanes<>+696(SB)/8, $0x00ff00ff00ffffff
DATA flatLanes<>+704(SB)/8, $0x00ff00ffff000000
DATA flatLanes<>+712(SB)/8, $0x00ff00ffff0000ff
DATA flatLanes<>+720(SB)/8, $0x00ff00ffff00ff00
DATA flatLanes<>+728(SB)/8, $0x00ff00ffff00ffff
DATA flatLanes<>+736(SB)/8, $0x00ff00ffffff0000
DATA flatLanes<>+744(SB)/8, $0x00ff00ffffff00ff
DATA flatLanes<>+752(SB)/8, $0x00ff00ffffffff00
DATA flatLanes<>+760(SB)/8, $0x00ff00ffffffffff
DATA flatLanes<>+768(SB)/8, $0x00ffff0000000000
DATA flatLanes<>+776(SB)/8, $0x00ffff00000000ff
DATA flatLanes<>+784(SB)/8, $0x00ffff000000ff00
DATA flatLanes<>+792(SB)/8, $0x00ffff000000ffff
DATA flatLanes<>+800(SB)/8, $0x00ffff0000ff0000
DATA flatLanes<>+808(SB)/8, $0x00ffff0000ff00ff
DATA flatLanes<>+816(SB)/8, $0x00ffff0000ffff00
DATA flatLanes<>+824(SB)/8, $0x00ffff0000ffffff
DATA flatLanes<>+832(SB)/8, $0x00ffff00ff000000
DATA flatLanes<>+840(SB)/8, $0x00ffff00ff0000ff
DATA flatLanes<>+848(SB)/8, $0x00ffff00ff00ff00
DATA flatLanes<>+856(SB)/8, $0x00ffff00ff00ffff
DATA flatLanes<>+864(SB)/8, $0x00ffff00ffff0000
DATA flatLanes<>+872(SB)/8, $0x00ffff00ffff00ff
DATA flatLanes<>+880(SB)/8, $0x00ffff00ffffff00
DATA flatLanes<>+888(SB)/8, $0x00ffff00ffffffff
DATA flatLanes<>+896(SB)/8, $0x00ffffff00000000
DATA flatLanes<>+904(SB)/8, $0x00ffffff000000ff
DATA flatLanes<>+912(SB)/8, $0x00ffffff0000ff00
DATA flatLanes<>+920(SB)/8, $0x00ffffff0000ffff
DATA flatLanes<>+928(SB)/8, $0x00ffffff00ff0000
DATA flatLanes<>+936(SB)/8, $0x00ffffff00ff00ff
DATA flatLanes<>+944(SB)/8, $0x00ffffff00ffff00
DATA flatLanes<>+952(SB)/8, $0x00ffffff00ffffff
DATA flatLanes<>+960(SB)/8, $0x00ffffffff000000
DATA flatLanes<>+968(SB)/8, $0x00ffffffff0000ff
DATA flatLanes<>+976(SB)/8, $0x00ffffffff00ff00
DATA flatLanes<>+984(SB)/8, $0x00ffffffff00ffff
DATA flatLanes<>+992(SB)/8, $0x00ffffffffff0000
DATA flatLanes<>+1000(SB)/8, $0x00ffffffffff00ff
DATA flatLanes<>+1008(SB)/8, $0x00ffffffffffff00
DATA flatLanes<>+1016(SB)/8, $0x00ffffffffffffff
DATA flatLanes<>+1024(SB)/8, $0xff00000000000000
DATA flatLanes<>+1032(SB)/8, $0xff000000000000ff
DATA flatLanes<>+1040(SB)/8, $0xff0000000000ff00
DATA flatLanes<>+1048(SB)/8, $0xff0000000000ffff
DATA flatLanes<>+1056(SB)/8, $0xff00000000ff0000
DATA flatLanes<>+1064(SB)/8, $0xff00000000ff00ff
DATA flatLanes<>+1072(SB)/8, $0xff00000000ffff00
DATA flatLanes<>+1080(SB)/8, $0xff00000000ffffff
DATA flatLanes<>+1088(SB)/8, $0xff000000ff000000
DATA flatLanes<>+1096(SB)/8, $0xff000000ff0000ff
DATA flatLanes<>+1104(SB)/8, $0xff000000ff00ff00
DATA flatLanes<>+1112(SB)/8, $0xff000000ff00ffff
DATA flatLanes<>+1120(SB)/8, $0xff000000ffff0000
DATA flatLanes<>+1128(SB)/8, $0xff000000ffff00ff
DATA flatLanes<>+1136(SB)/8, $0xff000000ffffff00
DATA flatLanes<>+1144(SB)/8, $0xff000000ffffffff
DATA flatLanes<>+1152(SB)/8, $0xff0000ff00000000
DATA flatLanes<>+1160(SB)/8, $0xff0000ff000000ff
DATA flatLanes<>+1168(SB)/8, $0xff0000ff0000ff00
DATA flatLanes<>+1176(SB)/8, $0xff0000ff0000ffff
DATA flatLanes<>+1184(SB)/8, $0xff0000ff00ff0000
DATA flatLanes<>+1192(SB)/8, $0xff0000ff00ff00ff
DATA flatLanes<>+1200(SB)/8, $0xff0000ff00ffff00
DATA flatLanes<>+1208(SB)/8, $0xff0000ff00ffffff
DATA flatLanes<>+1216(SB)/8, $0xff0000ffff000000
DATA flatLanes<>+1224(SB)/8, $0xff0000ffff0000ff
DATA flatLanes<>+1232(SB)/8, $0xff0000ffff00ff00
DATA flatLanes<>+1240(SB)/8, $0xff0000ffff00ffff
DATA flatLanes<>+1248(SB)/8, $0xff0000ffffff0000
DATA flatLanes<>+1256(SB)/8, $0xff0000ffffff00ff
DATA flatLanes<>+1264(SB)/8, $0xff0000ffffffff00
DATA flatLanes<>+1272(SB)/8, $0xff0000ffffffffff
DATA flatLanes<>+1280(SB)/8, $0xff00ff0000000000
DATA flatLanes<>+1288(SB)/8, $0xff00ff00000000ff
DATA flatLanes<>+1296(SB)/8, $0xff00ff000000ff00
DATA flatLanes<>+1304(SB)/8, $0xff00ff000000ffff
DATA flatLanes<>+1312(SB)/8, $0xff00ff0000ff0000
DATA flatLanes<>+1320(SB)/8, $0xff00ff0000ff00ff
DATA flatLanes<>+1328(SB)/8, $0xff00ff0000ffff00
DATA flatLanes<>+1336(SB)/8, $0xff00ff0000ffffff
DATA flatLanes<>+1344(SB)/8, $0xff00ff00ff000000
DATA flatLanes<>+1352(SB)/8, $0xff00ff00ff0000ff
DATA flatLanes<>+1360(SB)/8, $0xff00ff00ff00ff00
DATA flatLanes<>+1368(SB)/8, $0xff00ff00ff00ffff
DATA flatLanes<>+1376(SB)/8, $0xff00ff00ffff0000
DATA flatLanes<>+1384(SB)/8, $0xff00ff00ffff00ff
DATA flatLanes<>+1392(SB)/8, $0xff00ff00ffffff00
DATA flatLanes<>+1400(SB)/8, $0xff00ff00ffffffff
DATA flatLanes<>+1408(SB)/8, $0xff00ffff00000000
DATA flatLanes<>+1416(SB)/8, $0xff00ffff000000ff
DATA flatLanes<>+1424(SB)/8, $0xff00ffff0000ff00
DATA flatLanes<>+1432(SB)/8, $0xff00ffff0000ffff
DATA flatLanes<>+1440(SB)/8, $0xff00ffff00ff0000
DATA flatLanes<>+1448(SB)/8, $0xff00ffff00ff00ff
DATA flatLanes<>+1456(SB)/8, $0xff00ffff00ffff00
DATA flatLanes<>+1464(SB)/8, $0xff00ffff00ffffff
DATA flatLanes<>+1472(SB)/8, $0xff00ffffff000000
DATA flatLanes<>+1480(SB)/8, $0xff00ffffff0000ff
DATA flatLanes<>+1488(SB)/8, $0xff00ffffff00ff00
DATA flatLanes<>+1496(SB)/8, $0xff00ffffff00ffff
DATA flatLanes<>+1504(SB)/8, $0xff00ffffffff0000
DATA flatLanes<>+1512(SB)/8, $0xff00ffffffff00ff
DATA flatLanes<>+1520(SB)/8, $0xff00ffffffffff00
DATA flatLanes<>+1528(SB)/8, $0xff00ffffffffffff
DATA flatLanes<>+1536(SB)/8, $0xffff000000000000
DATA flatLanes<>+1544(SB)/8, $0xffff0000000000ff
DATA flatLanes<>+1552(SB)/8, $0xffff00000000ff00
DATA flatLanes<>+1560(SB)/8, $0xffff00000000ffff
DATA flatLanes<>+1568(SB)/8, $0xffff000000ff0000
DATA flatLanes<>+1576(SB)/8, $0xffff000000ff00ff
DATA flatLanes<>+1584(SB)/8, $0xffff000000ffff00
DATA flatLanes<>+1592(SB)/8, $0xffff000000ffffff
DATA flatLanes<>+1600(SB)/8, $0xffff0000ff000000
DATA flatLanes<>+1608(SB)/8, $0xffff0000ff0000ff
DATA flatLanes<>+1616(SB)/8, $0xffff0000ff00ff00
DATA flatLanes<>+1624(SB)/8, $0xffff0000ff00ffff
DATA flatLanes<>+1632(SB)/8, $0xffff0000ffff0000
DATA flatLanes<>+1640(SB)/8, $0xffff0000ffff00ff
DATA flatLanes<>+1648(SB)/8, $0xffff0000ffffff00
DATA flatLanes<>+1656(SB)/8, $0xffff0000ffffffff
DATA flatLanes<>+1664(SB)/8, $0xffff00ff00000000
DATA flatLanes<>+1672(SB)/8, $0xffff00ff000000ff
DATA flatLanes<>+1680(SB)/8, $0xffff00ff0000ff00
DATA flatLanes<>+1688(SB)/8, $0xffff00ff0000ffff
DATA flatLanes<>+1696(SB)/8, $0xffff00ff00ff0000
DATA flatLanes<>+1704(SB)/8, $0xffff00ff00ff00ff
DATA flatLanes<>+1712(SB)/8, $0xffff00ff00ffff00
DATA flatLanes<>+1720(SB)/8, $0xffff00ff00ffffff
DATA flatLanes<>+1728(SB)/8, $0xffff00ffff000000
DATA flatLanes<>+1736(SB)/8, $0xffff00ffff0000ff
DATA flatLanes<>+1744(SB)/8, $0xffff00ffff00ff00
DATA flatLanes<>+1752(SB)/8, $0xffff00ffff00ffff
DATA flatLanes<>+1760(SB)/8, $0xffff00ffffff0000
DATA flatLanes<>+1768(SB)/8, $0xffff00ffffff00ff
DATA flatLanes<>+1776(SB)/8, $0xffff00ffffffff00
DATA flatLanes<>+1784(SB)/8, $0xffff00ffffffffff
DATA flatLanes<>+1792(SB)/8, $0xffffff0000000000
DATA flatLanes<>+1800(SB)/8, $0xffffff00000000ff
DATA flatLanes<>+1808(SB)/8, $0xffffff000000ff00
DATA flatLanes<>+1816(SB)/8, $0xffffff000000ffff
DATA flatLanes<>+1824(SB)/8, $0xffffff0000ff0000
DATA flatLanes<>+1832(SB)/8, $0xffffff0000ff00ff
DATA flatLanes<>+1840(SB)/8, $0xffffff0000ffff00
DATA flatLanes<>+1848(SB)/8, $0xffffff0000ffffff
DATA flatLanes<>+1856(SB)/8, $0xffffff00ff000000
DATA flatLanes<>+1864(SB)/8, $0xffffff00ff0000ff
DATA flatLanes<>+1872(SB)/8, $0xffffff00ff00ff00
DATA flatLanes<>+1880(SB)/8, $0xffffff00ff00ffff
DATA flatLanes<>+1888(SB)/8, $0xffffff00ffff0000
DATA flatLanes<>+1896(SB)/8, $0xffffff00ffff00ff
DATA flatLanes<>+1904(SB)/8, $0xffffff00ffffff00
DATA flatLanes<>+1912(SB)/8, $0xffffff00ffffffff
DATA flatLanes<>+1920(SB)/8, $0xffffffff00000000
DATA flatLanes<>+1928(SB)/8, $0xffffffff000000ff
DATA flatLanes<>+1936(SB)/8, $0xffffffff0000ff00
DATA flatLanes<>+1944(SB)/8, $0xffffffff0000ffff
DATA flatLanes<>+1952(SB)/8, $0xffffffff00ff0000
DATA flatLanes<>+1960(SB)/8, $0xffffffff00ff00ff
DATA flatLanes<>+1968(SB)/8, $0xffffffff00ffff00
DATA flatLanes<>+1976(SB)/8, $0xffffffff00ffffff
DATA flatLanes<>+1984(SB)/8, $0xffffffffff000000
DATA flatLanes<>+1992(SB)/8, $0xffffffffff0000ff
DATA flatLanes<>+2000(SB)/8, $0xffffffffff00ff00
DATA flatLanes<>+2008(SB)/8, $0xffffffffff00ffff
DATA flatLanes<>+2016(SB)/8, $0xffffffffffff0000
DATA flatLanes<>+2024(SB)/8, $0xffffffffffff00ff
DATA flatLanes<>+2032(SB)/8, $0xffffffffffffff00
DATA flatLanes<>+2040(SB)/8, $0xffffffffffffffff
GLOBL flatLanes<>(SB), RODATA|NOPTR, $2048

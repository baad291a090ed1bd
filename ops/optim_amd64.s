//go:build amd64 && !purego

#include "textflag.h"
#include "vecmath_amd64.h"

// AVX-512 (16 lanes, tail through mask registers) and AVX2 (8 lanes, tail
// through VMASKMOVPS) twins of the update kernels of optim.go. Each lane
// does its element's Go operations in the Go order, every one rounded
// (no fused multiply-add), so all three implementations give the same
// bits. The bodies are macros over register names, shared by both widths.
// Pointers stay put; AX is the byte offset of the current vector.

// TAILMASK16(CNT, T): K2 = the lanes i < CNT (CNT in 1..15); T clobbered.
#define TAILMASK16(CNT, T) \
	MOVL  $-1, T; \
	BZHIL CNT, T, T; \
	KMOVW T, K2

// ADAMW(D, G, M, V, T, U, DECAY, B1, C1, B2, C2, BC2, EPS, STEP): one
// AdamW update of D (data), M and V from G, in adamWGo's order:
//
//	D = D·decay
//	M = b1·M + c1·G
//	V = b2·V + (c2·G)·G
//	T = sqrt(V)/bc2 + eps
//	D = D − (step·M)/T
#define ADAMW(D, G, M, V, T, U, DECAY, B1, C1, B2, C2, BC2, EPS, STEP) \
	VMULPS  DECAY, D, D; \
	VMULPS  B1, M, M; \
	VMULPS  C1, G, T; \
	VADDPS  T, M, M; \
	VMULPS  C2, G, T; \
	VMULPS  G, T, T; \
	VMULPS  B2, V, V; \
	VADDPS  T, V, V; \
	VSQRTPS V, T; \
	VDIVPS  BC2, T, T; \
	VADDPS  EPS, T, T; \
	VMULPS  STEP, M, U; \
	VDIVPS  T, U, U; \
	VSUBPS  U, D, D

// func adamWAVX512(data, grad, m, v []float32, decay, b1, c1, b2, c2, bc2, eps, step float32)
//
//	for i, gr := range grad {
//		data[i] *= decay
//		m[i] = b1*m[i] + c1*gr
//		v[i] = b2*v[i] + c2*gr*gr
//		den := float32(math.Sqrt(float64(v[i])))/bc2 + eps
//		data[i] -= step * m[i] / den
//	}
TEXT ·adamWAVX512(SB), NOSPLIT, $0-128
	MOVQ         data_base+0(FP), DI
	MOVQ         data_len+8(FP), CX
	MOVQ         grad_base+24(FP), SI
	MOVQ         m_base+48(FP), R8
	MOVQ         v_base+72(FP), R9
	VBROADCASTSS decay+96(FP), Z16
	VBROADCASTSS b1+100(FP), Z17
	VBROADCASTSS c1+104(FP), Z18
	VBROADCASTSS b2+108(FP), Z19
	VBROADCASTSS c2+112(FP), Z20
	VBROADCASTSS bc2+116(FP), Z21
	VBROADCASTSS eps+120(FP), Z22
	VBROADCASTSS step+124(FP), Z23
	XORQ         AX, AX
	JMP          aw16_check

aw16_loop:
	VMOVUPS (DI)(AX*1), Z0
	VMOVUPS (SI)(AX*1), Z1
	VMOVUPS (R8)(AX*1), Z2
	VMOVUPS (R9)(AX*1), Z3
	ADAMW(Z0, Z1, Z2, Z3, Z4, Z5, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)
	VMOVUPS Z0, (DI)(AX*1)
	VMOVUPS Z2, (R8)(AX*1)
	VMOVUPS Z3, (R9)(AX*1)
	ADDQ    $64, AX
	SUBQ    $16, CX

aw16_check:
	CMPQ  CX, $16
	JAE   aw16_loop
	TESTQ CX, CX
	JZ    aw16_done
	TAILMASK16(CX, DX)
	VMOVUPS.Z (DI)(AX*1), K2, Z0
	VMOVUPS.Z (SI)(AX*1), K2, Z1
	VMOVUPS.Z (R8)(AX*1), K2, Z2
	VMOVUPS.Z (R9)(AX*1), K2, Z3
	ADAMW(Z0, Z1, Z2, Z3, Z4, Z5, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)
	VMOVUPS   Z0, K2, (DI)(AX*1)
	VMOVUPS   Z2, K2, (R8)(AX*1)
	VMOVUPS   Z3, K2, (R9)(AX*1)

aw16_done:
	VZEROUPPER
	RET

// func adamWAVX2(data, grad, m, v []float32, decay, b1, c1, b2, c2, bc2, eps, step float32)
//
// adamWAVX512 on 8 lanes.
TEXT ·adamWAVX2(SB), NOSPLIT, $0-128
	MOVQ         data_base+0(FP), DI
	MOVQ         data_len+8(FP), CX
	MOVQ         grad_base+24(FP), SI
	MOVQ         m_base+48(FP), R8
	MOVQ         v_base+72(FP), R9
	VBROADCASTSS decay+96(FP), Y8
	VBROADCASTSS b1+100(FP), Y9
	VBROADCASTSS c1+104(FP), Y10
	VBROADCASTSS b2+108(FP), Y11
	VBROADCASTSS c2+112(FP), Y12
	VBROADCASTSS bc2+116(FP), Y13
	VBROADCASTSS eps+120(FP), Y14
	VBROADCASTSS step+124(FP), Y15
	XORQ         AX, AX
	JMP          aw8_check

aw8_loop:
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS (SI)(AX*1), Y1
	VMOVUPS (R8)(AX*1), Y2
	VMOVUPS (R9)(AX*1), Y3
	ADAMW(Y0, Y1, Y2, Y3, Y4, Y5, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15)
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y2, (R8)(AX*1)
	VMOVUPS Y3, (R9)(AX*1)
	ADDQ    $32, AX
	SUBQ    $8, CX

aw8_check:
	CMPQ  CX, $8
	JAE   aw8_loop
	TESTQ CX, CX
	JZ    aw8_done
	TAIL8(CX)
	VMASKMOVPS (DI)(AX*1), Y7, Y0
	VMASKMOVPS (SI)(AX*1), Y7, Y1
	VMASKMOVPS (R8)(AX*1), Y7, Y2
	VMASKMOVPS (R9)(AX*1), Y7, Y3
	ADAMW(Y0, Y1, Y2, Y3, Y4, Y5, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15)
	VMASKMOVPS Y0, Y7, (DI)(AX*1)
	VMASKMOVPS Y2, Y7, (R8)(AX*1)
	VMASKMOVPS Y3, Y7, (R9)(AX*1)

aw8_done:
	VZEROUPPER
	RET

// SGDPLAIN(D, G, T, LR, WD): D = D − lr·(G + wd·D).
#define SGDPLAIN(D, G, T, LR, WD) \
	VMULPS WD, D, T; \
	VADDPS T, G, T; \
	VMULPS LR, T, T; \
	VSUBPS T, D, D

// func sgdAVX512(data, grad []float32, lr, wd float32)
//
//	for i, gr := range grad {
//		data[i] -= lr * (gr + wd*data[i])
//	}
TEXT ·sgdAVX512(SB), NOSPLIT, $0-56
	MOVQ         data_base+0(FP), DI
	MOVQ         data_len+8(FP), CX
	MOVQ         grad_base+24(FP), SI
	VBROADCASTSS lr+48(FP), Z16
	VBROADCASTSS wd+52(FP), Z17
	XORQ         AX, AX
	JMP          sg16_check

sg16_loop:
	VMOVUPS (DI)(AX*1), Z0
	VMOVUPS (SI)(AX*1), Z1
	SGDPLAIN(Z0, Z1, Z2, Z16, Z17)
	VMOVUPS Z0, (DI)(AX*1)
	ADDQ    $64, AX
	SUBQ    $16, CX

sg16_check:
	CMPQ  CX, $16
	JAE   sg16_loop
	TESTQ CX, CX
	JZ    sg16_done
	TAILMASK16(CX, DX)
	VMOVUPS.Z (DI)(AX*1), K2, Z0
	VMOVUPS.Z (SI)(AX*1), K2, Z1
	SGDPLAIN(Z0, Z1, Z2, Z16, Z17)
	VMOVUPS   Z0, K2, (DI)(AX*1)

sg16_done:
	VZEROUPPER
	RET

// func sgdAVX2(data, grad []float32, lr, wd float32)
//
// sgdAVX512 on 8 lanes.
TEXT ·sgdAVX2(SB), NOSPLIT, $0-56
	MOVQ         data_base+0(FP), DI
	MOVQ         data_len+8(FP), CX
	MOVQ         grad_base+24(FP), SI
	VBROADCASTSS lr+48(FP), Y8
	VBROADCASTSS wd+52(FP), Y9
	XORQ         AX, AX
	JMP          sg8_check

sg8_loop:
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS (SI)(AX*1), Y1
	SGDPLAIN(Y0, Y1, Y2, Y8, Y9)
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	SUBQ    $8, CX

sg8_check:
	CMPQ  CX, $8
	JAE   sg8_loop
	TESTQ CX, CX
	JZ    sg8_done
	TAIL8(CX)
	VMASKMOVPS (DI)(AX*1), Y7, Y0
	VMASKMOVPS (SI)(AX*1), Y7, Y1
	SGDPLAIN(Y0, Y1, Y2, Y8, Y9)
	VMASKMOVPS Y0, Y7, (DI)(AX*1)

sg8_done:
	VZEROUPPER
	RET

// SGDM16(D, G, B): one SGD-with-momentum update of Z0 (data) and Z2
// (buffer) from Z1 (gradient), as sgdMomentumGo; clobbers Z3, Z4. Reads
// Z16 = lr, Z17 = wd, Z18 = μ, K3 = all lanes if fresh, K4 = all lanes if
// Nesterov. Both sides of each condition are computed and one is kept
// (VBLENDMPS: dst = K ? first : second), which copies bits exactly.
//
//	d = G + wd·D
//	B = fresh ? d : μ·B + d
//	d = nesterov ? d + μ·B : B
//	D = D − lr·d
#define SGDM16 \
	VMULPS    Z17, Z0, Z3; \
	VADDPS    Z3, Z1, Z3; \
	VMULPS    Z18, Z2, Z2; \
	VADDPS    Z3, Z2, Z2; \
	VBLENDMPS Z3, Z2, K3, Z2; \
	VMULPS    Z18, Z2, Z4; \
	VADDPS    Z4, Z3, Z4; \
	VBLENDMPS Z4, Z2, K4, Z3; \
	VMULPS    Z16, Z3, Z3; \
	VSUBPS    Z3, Z0, Z0

// func sgdMomentumAVX512(data, grad, buf []float32, lr, wd, mu float32, fresh, nesterov bool)
//
//	for i, gr := range grad {
//		d := gr + wd*data[i]
//		if fresh {
//			buf[i] = d
//		} else {
//			buf[i] = mu*buf[i] + d
//		}
//		if nesterov {
//			d += mu * buf[i]
//		} else {
//			d = buf[i]
//		}
//		data[i] -= lr * d
//	}
TEXT ·sgdMomentumAVX512(SB), NOSPLIT, $0-86
	MOVQ         data_base+0(FP), DI
	MOVQ         data_len+8(FP), CX
	MOVQ         grad_base+24(FP), SI
	MOVQ         buf_base+48(FP), R8
	VBROADCASTSS lr+72(FP), Z16
	VBROADCASTSS wd+76(FP), Z17
	VBROADCASTSS mu+80(FP), Z18
	MOVBLZX      fresh+84(FP), DX
	NEGL         DX
	KMOVW        DX, K3
	MOVBLZX      nesterov+85(FP), DX
	NEGL         DX
	KMOVW        DX, K4
	XORQ         AX, AX
	JMP          sm16_check

sm16_loop:
	VMOVUPS (DI)(AX*1), Z0
	VMOVUPS (SI)(AX*1), Z1
	VMOVUPS (R8)(AX*1), Z2
	SGDM16
	VMOVUPS Z0, (DI)(AX*1)
	VMOVUPS Z2, (R8)(AX*1)
	ADDQ    $64, AX
	SUBQ    $16, CX

sm16_check:
	CMPQ  CX, $16
	JAE   sm16_loop
	TESTQ CX, CX
	JZ    sm16_done
	TAILMASK16(CX, DX)
	VMOVUPS.Z (DI)(AX*1), K2, Z0
	VMOVUPS.Z (SI)(AX*1), K2, Z1
	VMOVUPS.Z (R8)(AX*1), K2, Z2
	SGDM16
	VMOVUPS   Z0, K2, (DI)(AX*1)
	VMOVUPS   Z2, K2, (R8)(AX*1)

sm16_done:
	VZEROUPPER
	RET

// SGDM8: SGDM16 on 8 lanes: Y0 data, Y1 gradient, Y2 buffer; clobbers
// Y3, Y4. Reads Y8 = lr, Y9 = wd, Y10 = μ, Y11 = all ones if fresh, Y12 =
// all ones if Nesterov (VBLENDVPS: dst = mask ? first : second).
#define SGDM8 \
	VMULPS    Y9, Y0, Y3; \
	VADDPS    Y3, Y1, Y3; \
	VMULPS    Y10, Y2, Y2; \
	VADDPS    Y3, Y2, Y2; \
	VBLENDVPS Y11, Y3, Y2, Y2; \
	VMULPS    Y10, Y2, Y4; \
	VADDPS    Y4, Y3, Y4; \
	VBLENDVPS Y12, Y4, Y2, Y3; \
	VMULPS    Y8, Y3, Y3; \
	VSUBPS    Y3, Y0, Y0

// func sgdMomentumAVX2(data, grad, buf []float32, lr, wd, mu float32, fresh, nesterov bool)
//
// sgdMomentumAVX512 on 8 lanes.
TEXT ·sgdMomentumAVX2(SB), NOSPLIT, $0-86
	MOVQ         data_base+0(FP), DI
	MOVQ         data_len+8(FP), CX
	MOVQ         grad_base+24(FP), SI
	MOVQ         buf_base+48(FP), R8
	VBROADCASTSS lr+72(FP), Y8
	VBROADCASTSS wd+76(FP), Y9
	VBROADCASTSS mu+80(FP), Y10
	MOVBLZX      fresh+84(FP), DX
	NEGL         DX
	VMOVD        DX, X11
	VPBROADCASTD X11, Y11
	MOVBLZX      nesterov+85(FP), DX
	NEGL         DX
	VMOVD        DX, X12
	VPBROADCASTD X12, Y12
	XORQ         AX, AX
	JMP          sm8_check

sm8_loop:
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS (SI)(AX*1), Y1
	VMOVUPS (R8)(AX*1), Y2
	SGDM8
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y2, (R8)(AX*1)
	ADDQ    $32, AX
	SUBQ    $8, CX

sm8_check:
	CMPQ  CX, $8
	JAE   sm8_loop
	TESTQ CX, CX
	JZ    sm8_done
	TAIL8(CX)
	VMASKMOVPS (DI)(AX*1), Y7, Y0
	VMASKMOVPS (SI)(AX*1), Y7, Y1
	VMASKMOVPS (R8)(AX*1), Y7, Y2
	SGDM8
	VMASKMOVPS Y0, Y7, (DI)(AX*1)
	VMASKMOVPS Y2, Y7, (R8)(AX*1)

sm8_done:
	VZEROUPPER
	RET

// AXPBY(Y, X, T, A, B): Y = A·Y + B·X.
#define AXPBY(Y, X, T, A, B) \
	VMULPS A, Y, Y; \
	VMULPS B, X, T; \
	VADDPS T, Y, Y

// func axpbyAVX512(y, x []float32, a, b float32)
//
//	for i, w := range x {
//		y[i] = a*y[i] + b*w
//	}
TEXT ·axpbyAVX512(SB), NOSPLIT, $0-56
	MOVQ         y_base+0(FP), DI
	MOVQ         y_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSS a+48(FP), Z16
	VBROADCASTSS b+52(FP), Z17
	XORQ         AX, AX
	JMP          ab16_check

ab16_loop:
	VMOVUPS (DI)(AX*1), Z0
	VMOVUPS (SI)(AX*1), Z1
	AXPBY(Z0, Z1, Z2, Z16, Z17)
	VMOVUPS Z0, (DI)(AX*1)
	ADDQ    $64, AX
	SUBQ    $16, CX

ab16_check:
	CMPQ  CX, $16
	JAE   ab16_loop
	TESTQ CX, CX
	JZ    ab16_done
	TAILMASK16(CX, DX)
	VMOVUPS.Z (DI)(AX*1), K2, Z0
	VMOVUPS.Z (SI)(AX*1), K2, Z1
	AXPBY(Z0, Z1, Z2, Z16, Z17)
	VMOVUPS   Z0, K2, (DI)(AX*1)

ab16_done:
	VZEROUPPER
	RET

// func axpbyAVX2(y, x []float32, a, b float32)
//
// axpbyAVX512 on 8 lanes.
TEXT ·axpbyAVX2(SB), NOSPLIT, $0-56
	MOVQ         y_base+0(FP), DI
	MOVQ         y_len+8(FP), CX
	MOVQ         x_base+24(FP), SI
	VBROADCASTSS a+48(FP), Y8
	VBROADCASTSS b+52(FP), Y9
	XORQ         AX, AX
	JMP          ab8_check

ab8_loop:
	VMOVUPS (DI)(AX*1), Y0
	VMOVUPS (SI)(AX*1), Y1
	AXPBY(Y0, Y1, Y2, Y8, Y9)
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	SUBQ    $8, CX

ab8_check:
	CMPQ  CX, $8
	JAE   ab8_loop
	TESTQ CX, CX
	JZ    ab8_done
	TAIL8(CX)
	VMASKMOVPS (DI)(AX*1), Y7, Y0
	VMASKMOVPS (SI)(AX*1), Y7, Y1
	AXPBY(Y0, Y1, Y2, Y8, Y9)
	VMASKMOVPS Y0, Y7, (DI)(AX*1)

ab8_done:
	VZEROUPPER
	RET

// samPerturb: g and data widened to float64 (VCVTPS2PD), e = scale·g,
// e = e·(adaptive ? x·x : 1) (a blend picks x·x or 1; e·1 is exact),
// then rounded to float32 (VCVTPD2PS) and added to data.

// func samPerturbAVX512(data, grad []float32, scale float64, adaptive bool)
//
//	for i, gr := range grad {
//		e := scale * float64(gr)
//		if adaptive {
//			e *= float64(data[i]) * float64(data[i])
//		}
//		data[i] += float32(e)
//	}
TEXT ·samPerturbAVX512(SB), NOSPLIT, $0-57
	MOVQ         data_base+0(FP), DI
	MOVQ         data_len+8(FP), CX
	MOVQ         grad_base+24(FP), SI
	VBROADCASTSD scale+48(FP), Z16
	MOVQ         $0x3ff0000000000000, DX
	VPBROADCASTQ DX, Z17
	MOVBLZX      adaptive+56(FP), DX
	NEGL         DX
	KMOVW        DX, K3
	XORQ         AX, AX
	JMP          sp16_check

sp16_loop:
	VCVTPS2PD (SI)(AX*1), Z0
	VCVTPS2PD (DI)(AX*1), Z1
	VMULPD    Z16, Z0, Z0
	VMULPD    Z1, Z1, Z1
	VBLENDMPD Z1, Z17, K3, Z1
	VMULPD    Z1, Z0, Z0
	VCVTPD2PS Z0, Y0
	VADDPS    (DI)(AX*1), Y0, Y0
	VMOVUPS   Y0, (DI)(AX*1)
	ADDQ      $32, AX
	SUBQ      $8, CX

sp16_check:
	CMPQ  CX, $8
	JAE   sp16_loop
	TESTQ CX, CX
	JZ    sp16_done
	TAILMASK16(CX, DX)
	VMOVUPS.Z (SI)(AX*1), K2, Z2
	VMOVUPS.Z (DI)(AX*1), K2, Z3
	VCVTPS2PD Y2, Z0
	VCVTPS2PD Y3, Z1
	VMULPD    Z16, Z0, Z0
	VMULPD    Z1, Z1, Z1
	VBLENDMPD Z1, Z17, K3, Z1
	VMULPD    Z1, Z0, Z0
	VCVTPD2PS Z0, Y0
	VADDPS    Y3, Y0, Y0
	VMOVUPS   Z0, K2, (DI)(AX*1)

sp16_done:
	VZEROUPPER
	RET

// func samPerturbAVX2(data, grad []float32, scale float64, adaptive bool)
//
// samPerturbAVX512 on 4 lanes (float64 in ymm).
TEXT ·samPerturbAVX2(SB), NOSPLIT, $0-57
	MOVQ         data_base+0(FP), DI
	MOVQ         data_len+8(FP), CX
	MOVQ         grad_base+24(FP), SI
	VBROADCASTSD scale+48(FP), Y8
	MOVQ         $0x3ff0000000000000, DX
	VMOVQ        DX, X9
	VPBROADCASTQ X9, Y9
	MOVBQZX      adaptive+56(FP), DX
	NEGQ         DX
	VMOVQ        DX, X10
	VPBROADCASTQ X10, Y10
	XORQ         AX, AX
	JMP          sp8_check

sp8_loop:
	VCVTPS2PD  (SI)(AX*1), Y0
	VCVTPS2PD  (DI)(AX*1), Y1
	VMULPD     Y8, Y0, Y0
	VMULPD     Y1, Y1, Y1
	VBLENDVPD  Y10, Y1, Y9, Y1
	VMULPD     Y1, Y0, Y0
	VCVTPD2PSY Y0, X0
	VADDPS     (DI)(AX*1), X0, X0
	VMOVUPS    X0, (DI)(AX*1)
	ADDQ       $16, AX
	SUBQ       $4, CX

sp8_check:
	CMPQ  CX, $4
	JAE   sp8_loop
	TESTQ CX, CX
	JZ    sp8_done
	TAIL8(CX)
	VMASKMOVPS (SI)(AX*1), X7, X2
	VMASKMOVPS (DI)(AX*1), X7, X3
	VCVTPS2PD  X2, Y0
	VCVTPS2PD  X3, Y1
	VMULPD     Y8, Y0, Y0
	VMULPD     Y1, Y1, Y1
	VBLENDVPD  Y10, Y1, Y9, Y1
	VMULPD     Y1, Y0, Y0
	VCVTPD2PSY Y0, X0
	VADDPS     X3, X0, X0
	VMASKMOVPS X0, X7, (DI)(AX*1)

sp8_done:
	VZEROUPPER
	RET

// func maxAbsBitsAVX512(x []float32) uint32
//
//	for _, v := range x {
//		mx = max(mx, math.Float32bits(v)&0x7fffffff)
//	}
TEXT ·maxAbsBitsAVX512(SB), NOSPLIT, $0-28
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVL         $0x7fffffff, DX
	VPBROADCASTD DX, Z16
	VPXORD       Z8, Z8, Z8
	XORQ         AX, AX
	JMP          mx16_check

mx16_loop:
	VPANDD  (SI)(AX*1), Z16, Z0
	VPMAXUD Z0, Z8, Z8
	ADDQ    $64, AX
	SUBQ    $16, CX

mx16_check:
	CMPQ  CX, $16
	JAE   mx16_loop
	TESTQ CX, CX
	JZ    mx16_reduce
	TAILMASK16(CX, DX)
	VMOVDQU32.Z (SI)(AX*1), K2, Z0
	VPANDD      Z0, Z16, Z0
	VPMAXUD     Z0, Z8, Z8

mx16_reduce:
	VEXTRACTI64X4 $1, Z8, Y0
	VPMAXUD       Y0, Y8, Y8
	VEXTRACTI128  $1, Y8, X0
	VPMAXUD       X0, X8, X8
	VPSHUFD       $0x4e, X8, X0
	VPMAXUD       X0, X8, X8
	VPSHUFD       $0xb1, X8, X0
	VPMAXUD       X0, X8, X8
	VMOVD         X8, DX
	MOVL          DX, ret+24(FP)
	VZEROUPPER
	RET

// func maxAbsBitsAVX2(x []float32) uint32
//
// maxAbsBitsAVX512 on 8 lanes.
TEXT ·maxAbsBitsAVX2(SB), NOSPLIT, $0-28
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVL         $0x7fffffff, DX
	VMOVD        DX, X9
	VPBROADCASTD X9, Y9
	VPXOR        Y8, Y8, Y8
	XORQ         AX, AX
	JMP          mx8_check

mx8_loop:
	VPAND   (SI)(AX*1), Y9, Y0
	VPMAXUD Y0, Y8, Y8
	ADDQ    $32, AX
	SUBQ    $8, CX

mx8_check:
	CMPQ  CX, $8
	JAE   mx8_loop
	TESTQ CX, CX
	JZ    mx8_reduce
	TAIL8(CX)
	VMASKMOVPS (SI)(AX*1), Y7, Y0
	VPAND      Y0, Y9, Y0
	VPMAXUD    Y0, Y8, Y8

mx8_reduce:
	VEXTRACTI128 $1, Y8, X0
	VPMAXUD      X0, X8, X8
	VPSHUFD      $0x4e, X8, X0
	VPMAXUD      X0, X8, X8
	VPSHUFD      $0xb1, X8, X0
	VPMAXUD      X0, X8, X8
	VMOVD        X8, DX
	MOVL         DX, ret+24(FP)
	VZEROUPPER
	RET

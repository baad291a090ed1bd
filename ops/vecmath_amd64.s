//go:build amd64 && !purego

#include "textflag.h"
#include "vecmath_amd64.h"
#include "vecmath_runs_amd64.h"

// Element-wise kernels, AVX2+FMA (8 float32 lanes per ymm register). Each
// kernel runs over all n = len(x) elements: whole vectors in the loop,
// then the last n%8 through the same instructions with masked loads and
// stores (VMASKMOVPS neither reads nor writes, nor faults on, lanes past
// the end), so an element's result does not depend on its position.
// Constants are 32-byte vectors at the end of this file.

// EXPBODY8: Y0 = e^Y0 with clamping; Y14 = expHi, Y15 = expLo. VMINPS and
// VMAXPS return their last operand when either is NaN, so NaN passes.
#define EXPBODY8 \
	VMINPS Y0, Y14, Y0; \
	VMAXPS Y0, Y15, Y0; \
	EXP8(Y0, Y1, Y2, Y3)

// func expAVX2(y, x []float32)
//
//	for i, v := range x {
//		y[i] = exp32(v)
//	}
TEXT ·expAVX2(SB), NOSPLIT, $0-48
	MOVQ    y_base+0(FP), DI
	MOVQ    x_base+24(FP), SI
	MOVQ    x_len+32(FP), CX
	VMOVUPS ·vmExpHi(SB), Y14
	VMOVUPS ·vmExpLo(SB), Y15
	JMP     exp_check

exp_loop:
	VMOVUPS (SI), Y0
	EXPBODY8
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

exp_check:
	CMPQ CX, $8
	JAE  exp_loop
	TESTQ CX, CX
	JZ   exp_done
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y0
	EXPBODY8
	VMASKMOVPS Y0, Y7, (DI)

exp_done:
	VZEROUPPER
	RET

// SIGBODY8: Y0 = σ(Y0): r for x >= 0, e·r for x < 0 (the blend picks by
// the sign bit; at −0 both are ½).
#define SIGBODY8 \
	SIGPARTS8; \
	VMULPS    Y2, Y1, Y3; \
	VBLENDVPS Y0, Y3, Y2, Y0

// func sigmoidAVX2(y, x []float32)
//
//	for i, v := range x {
//		y[i] = sigmoid32(v)
//	}
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-48
	MOVQ    y_base+0(FP), DI
	MOVQ    x_base+24(FP), SI
	MOVQ    x_len+32(FP), CX
	VMOVUPS ·vmExpLo(SB), Y15
	JMP     sig_check

sig_loop:
	VMOVUPS (SI), Y0
	SIGBODY8
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

sig_check:
	CMPQ CX, $8
	JAE  sig_loop
	TESTQ CX, CX
	JZ   sig_done
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y0
	SIGBODY8
	VMASKMOVPS Y0, Y7, (DI)

sig_done:
	VZEROUPPER
	RET

// func siluAVX2(y, x []float32)
//
//	for i, v := range x {
//		y[i] = v * sigmoid32(v)
//	}
TEXT ·siluAVX2(SB), NOSPLIT, $0-48
	MOVQ    y_base+0(FP), DI
	MOVQ    x_base+24(FP), SI
	MOVQ    x_len+32(FP), CX
	VMOVUPS ·vmExpLo(SB), Y15
	JMP     silu_check

silu_loop:
	VMOVUPS (SI), Y0
	SILUBODY8
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

silu_check:
	CMPQ CX, $8
	JAE  silu_loop
	TESTQ CX, CX
	JZ   silu_done
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y0
	SILUBODY8
	VMASKMOVPS Y0, Y7, (DI)

silu_done:
	VZEROUPPER
	RET

// SILUGRADBODY8: Y8 (gx) += the term.
#define SILUGRADBODY8 \
	SILUGRADTERM8; \
	VADDPS Y4, Y8, Y8

// func siluGradAVX2(gx, g, x []float32)
//
//	for i, v := range x {
//		e, r := sigmoidParts(v)
//		er := e * r
//		s, c := pickNeg(v, r, er), pickNeg(v, er, r)
//		gx[i] += g[i] * (s * (1 + v*c))
//	}
TEXT ·siluGradAVX2(SB), NOSPLIT, $0-72
	MOVQ    gx_base+0(FP), DI
	MOVQ    g_base+24(FP), SI
	MOVQ    x_base+48(FP), DX
	MOVQ    x_len+56(FP), CX
	VMOVUPS ·vmExpLo(SB), Y15
	JMP     silug_check

silug_loop:
	VMOVUPS (DX), Y0
	VMOVUPS (SI), Y9
	VMOVUPS (DI), Y8
	SILUGRADBODY8
	VMOVUPS Y8, (DI)
	ADDQ    $32, DX
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

silug_check:
	CMPQ CX, $8
	JAE  silug_loop
	TESTQ CX, CX
	JZ   silug_done
	TAIL8(CX)
	VMASKMOVPS (DX), Y7, Y0
	VMASKMOVPS (SI), Y7, Y9
	VMASKMOVPS (DI), Y7, Y8
	SILUGRADBODY8
	VMASKMOVPS Y8, Y7, (DI)

silug_done:
	VZEROUPPER
	RET

// func siluGradToAVX2(gx, g, x []float32)
//
//	for i, v := range x {
//		e, r := sigmoidParts(v)
//		er := e * r
//		s, c := pickNeg(v, r, er), pickNeg(v, er, r)
//		gx[i] = g[i] * (s * (1 + v*c))
//	}
TEXT ·siluGradToAVX2(SB), NOSPLIT, $0-72
	MOVQ    gx_base+0(FP), DI
	MOVQ    g_base+24(FP), SI
	MOVQ    x_base+48(FP), DX
	MOVQ    x_len+56(FP), CX
	VMOVUPS ·vmExpLo(SB), Y15
	JMP     silugt_check

silugt_loop:
	VMOVUPS (DX), Y0
	VMOVUPS (SI), Y9
	SILUGRADTERM8
	VMOVUPS Y4, (DI)
	ADDQ    $32, DX
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

silugt_check:
	CMPQ CX, $8
	JAE  silugt_loop
	TESTQ CX, CX
	JZ   silugt_done
	TAIL8(CX)
	VMASKMOVPS (DX), Y7, Y0
	VMASKMOVPS (SI), Y7, Y9
	SILUGRADTERM8
	VMASKMOVPS Y4, Y7, (DI)

silugt_done:
	VZEROUPPER
	RET

// SIGGRADBODY8: Y8 (gx) += Y9 (g) · (Y0·(1 − Y0)), Y0 = y = σ(x).
#define SIGGRADBODY8 \
	VMOVUPS ·vmOne(SB), Y1; \
	VSUBPS  Y0, Y1, Y1; \
	VMULPS  Y1, Y0, Y1; \
	VMULPS  Y1, Y9, Y1; \
	VADDPS  Y1, Y8, Y8

// func sigmoidGradAVX2(gx, g, y []float32)
//
//	for i, s := range y {
//		gx[i] += g[i] * (s * (1 - s))
//	}
TEXT ·sigmoidGradAVX2(SB), NOSPLIT, $0-72
	MOVQ gx_base+0(FP), DI
	MOVQ g_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	MOVQ y_len+56(FP), CX
	JMP  sigg_check

sigg_loop:
	VMOVUPS (DX), Y0
	VMOVUPS (SI), Y9
	VMOVUPS (DI), Y8
	SIGGRADBODY8
	VMOVUPS Y8, (DI)
	ADDQ    $32, DX
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

sigg_check:
	CMPQ CX, $8
	JAE  sigg_loop
	TESTQ CX, CX
	JZ   sigg_done
	TAIL8(CX)
	VMASKMOVPS (DX), Y7, Y0
	VMASKMOVPS (SI), Y7, Y9
	VMASKMOVPS (DI), Y7, Y8
	SIGGRADBODY8
	VMASKMOVPS Y8, Y7, (DI)

sigg_done:
	VZEROUPPER
	RET

// func mulAddAVX2(z, x, y []float32)
//
//	for i, v := range x {
//		z[i] += v * y[i]
//	}
TEXT ·mulAddAVX2(SB), NOSPLIT, $0-72
	MOVQ z_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	MOVQ y_base+48(FP), DX
	JMP  madd_check

madd_loop:
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DX
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

madd_check:
	CMPQ CX, $8
	JAE  madd_loop
	TESTQ CX, CX
	JZ   madd_done
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y0
	VMASKMOVPS (DX), Y7, Y1
	VMASKMOVPS (DI), Y7, Y2
	VMULPS     Y1, Y0, Y0
	VADDPS     Y2, Y0, Y0
	VMASKMOVPS Y0, Y7, (DI)

madd_done:
	VZEROUPPER
	RET

// func scaleShiftAVX2(y, x []float32, a, b float32)
//
//	for i, v := range x {
//		y[i] = a*v + b
//	}
TEXT ·scaleShiftAVX2(SB), NOSPLIT, $0-56
	MOVQ         y_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS a+48(FP), Y8
	VBROADCASTSS b+52(FP), Y9
	SSRUN(ss_loop, ss_check, ss_done)
	VZEROUPPER
	RET

// vmOne: 1.0, in all eight lanes.
DATA ·vmOne+0(SB)/4, $0x3f800000
DATA ·vmOne+4(SB)/4, $0x3f800000
DATA ·vmOne+8(SB)/4, $0x3f800000
DATA ·vmOne+12(SB)/4, $0x3f800000
DATA ·vmOne+16(SB)/4, $0x3f800000
DATA ·vmOne+20(SB)/4, $0x3f800000
DATA ·vmOne+24(SB)/4, $0x3f800000
DATA ·vmOne+28(SB)/4, $0x3f800000
GLOBL ·vmOne(SB), RODATA|NOPTR, $32
// vmExpHi: expHi = 88.8, in all eight lanes.
DATA ·vmExpHi+0(SB)/4, $0x42b1999a
DATA ·vmExpHi+4(SB)/4, $0x42b1999a
DATA ·vmExpHi+8(SB)/4, $0x42b1999a
DATA ·vmExpHi+12(SB)/4, $0x42b1999a
DATA ·vmExpHi+16(SB)/4, $0x42b1999a
DATA ·vmExpHi+20(SB)/4, $0x42b1999a
DATA ·vmExpHi+24(SB)/4, $0x42b1999a
DATA ·vmExpHi+28(SB)/4, $0x42b1999a
GLOBL ·vmExpHi(SB), RODATA|NOPTR, $32
// vmExpLo: expLo = -104, in all eight lanes.
DATA ·vmExpLo+0(SB)/4, $0xc2d00000
DATA ·vmExpLo+4(SB)/4, $0xc2d00000
DATA ·vmExpLo+8(SB)/4, $0xc2d00000
DATA ·vmExpLo+12(SB)/4, $0xc2d00000
DATA ·vmExpLo+16(SB)/4, $0xc2d00000
DATA ·vmExpLo+20(SB)/4, $0xc2d00000
DATA ·vmExpLo+24(SB)/4, $0xc2d00000
DATA ·vmExpLo+28(SB)/4, $0xc2d00000
GLOBL ·vmExpLo(SB), RODATA|NOPTR, $32
// vmLog2e: log2e, in all eight lanes.
DATA ·vmLog2e+0(SB)/4, $0x3fb8aa3b
DATA ·vmLog2e+4(SB)/4, $0x3fb8aa3b
DATA ·vmLog2e+8(SB)/4, $0x3fb8aa3b
DATA ·vmLog2e+12(SB)/4, $0x3fb8aa3b
DATA ·vmLog2e+16(SB)/4, $0x3fb8aa3b
DATA ·vmLog2e+20(SB)/4, $0x3fb8aa3b
DATA ·vmLog2e+24(SB)/4, $0x3fb8aa3b
DATA ·vmLog2e+28(SB)/4, $0x3fb8aa3b
GLOBL ·vmLog2e(SB), RODATA|NOPTR, $32
// vmLn2Hi: ln2Hi, in all eight lanes.
DATA ·vmLn2Hi+0(SB)/4, $0x3f318000
DATA ·vmLn2Hi+4(SB)/4, $0x3f318000
DATA ·vmLn2Hi+8(SB)/4, $0x3f318000
DATA ·vmLn2Hi+12(SB)/4, $0x3f318000
DATA ·vmLn2Hi+16(SB)/4, $0x3f318000
DATA ·vmLn2Hi+20(SB)/4, $0x3f318000
DATA ·vmLn2Hi+24(SB)/4, $0x3f318000
DATA ·vmLn2Hi+28(SB)/4, $0x3f318000
GLOBL ·vmLn2Hi(SB), RODATA|NOPTR, $32
// vmLn2Lo: ln2Lo, in all eight lanes.
DATA ·vmLn2Lo+0(SB)/4, $0xb95e8083
DATA ·vmLn2Lo+4(SB)/4, $0xb95e8083
DATA ·vmLn2Lo+8(SB)/4, $0xb95e8083
DATA ·vmLn2Lo+12(SB)/4, $0xb95e8083
DATA ·vmLn2Lo+16(SB)/4, $0xb95e8083
DATA ·vmLn2Lo+20(SB)/4, $0xb95e8083
DATA ·vmLn2Lo+24(SB)/4, $0xb95e8083
DATA ·vmLn2Lo+28(SB)/4, $0xb95e8083
GLOBL ·vmLn2Lo(SB), RODATA|NOPTR, $32
// vmExpC0: expC0, in all eight lanes.
DATA ·vmExpC0+0(SB)/4, $0x39506967
DATA ·vmExpC0+4(SB)/4, $0x39506967
DATA ·vmExpC0+8(SB)/4, $0x39506967
DATA ·vmExpC0+12(SB)/4, $0x39506967
DATA ·vmExpC0+16(SB)/4, $0x39506967
DATA ·vmExpC0+20(SB)/4, $0x39506967
DATA ·vmExpC0+24(SB)/4, $0x39506967
DATA ·vmExpC0+28(SB)/4, $0x39506967
GLOBL ·vmExpC0(SB), RODATA|NOPTR, $32
// vmExpC1: expC1, in all eight lanes.
DATA ·vmExpC1+0(SB)/4, $0x3ab743ce
DATA ·vmExpC1+4(SB)/4, $0x3ab743ce
DATA ·vmExpC1+8(SB)/4, $0x3ab743ce
DATA ·vmExpC1+12(SB)/4, $0x3ab743ce
DATA ·vmExpC1+16(SB)/4, $0x3ab743ce
DATA ·vmExpC1+20(SB)/4, $0x3ab743ce
DATA ·vmExpC1+24(SB)/4, $0x3ab743ce
DATA ·vmExpC1+28(SB)/4, $0x3ab743ce
GLOBL ·vmExpC1(SB), RODATA|NOPTR, $32
// vmExpC2: expC2, in all eight lanes.
DATA ·vmExpC2+0(SB)/4, $0x3c088908
DATA ·vmExpC2+4(SB)/4, $0x3c088908
DATA ·vmExpC2+8(SB)/4, $0x3c088908
DATA ·vmExpC2+12(SB)/4, $0x3c088908
DATA ·vmExpC2+16(SB)/4, $0x3c088908
DATA ·vmExpC2+20(SB)/4, $0x3c088908
DATA ·vmExpC2+24(SB)/4, $0x3c088908
DATA ·vmExpC2+28(SB)/4, $0x3c088908
GLOBL ·vmExpC2(SB), RODATA|NOPTR, $32
// vmExpC3: expC3, in all eight lanes.
DATA ·vmExpC3+0(SB)/4, $0x3d2aa9c1
DATA ·vmExpC3+4(SB)/4, $0x3d2aa9c1
DATA ·vmExpC3+8(SB)/4, $0x3d2aa9c1
DATA ·vmExpC3+12(SB)/4, $0x3d2aa9c1
DATA ·vmExpC3+16(SB)/4, $0x3d2aa9c1
DATA ·vmExpC3+20(SB)/4, $0x3d2aa9c1
DATA ·vmExpC3+24(SB)/4, $0x3d2aa9c1
DATA ·vmExpC3+28(SB)/4, $0x3d2aa9c1
GLOBL ·vmExpC3(SB), RODATA|NOPTR, $32
// vmExpC4: expC4, in all eight lanes.
DATA ·vmExpC4+0(SB)/4, $0x3e2aaaaa
DATA ·vmExpC4+4(SB)/4, $0x3e2aaaaa
DATA ·vmExpC4+8(SB)/4, $0x3e2aaaaa
DATA ·vmExpC4+12(SB)/4, $0x3e2aaaaa
DATA ·vmExpC4+16(SB)/4, $0x3e2aaaaa
DATA ·vmExpC4+20(SB)/4, $0x3e2aaaaa
DATA ·vmExpC4+24(SB)/4, $0x3e2aaaaa
DATA ·vmExpC4+28(SB)/4, $0x3e2aaaaa
GLOBL ·vmExpC4(SB), RODATA|NOPTR, $32
// vmExpC5: expC5, in all eight lanes.
DATA ·vmExpC5+0(SB)/4, $0x3f000000
DATA ·vmExpC5+4(SB)/4, $0x3f000000
DATA ·vmExpC5+8(SB)/4, $0x3f000000
DATA ·vmExpC5+12(SB)/4, $0x3f000000
DATA ·vmExpC5+16(SB)/4, $0x3f000000
DATA ·vmExpC5+20(SB)/4, $0x3f000000
DATA ·vmExpC5+24(SB)/4, $0x3f000000
DATA ·vmExpC5+28(SB)/4, $0x3f000000
GLOBL ·vmExpC5(SB), RODATA|NOPTR, $32
// vmBias: exponent bias 127 (int32), in all eight lanes.
DATA ·vmBias+0(SB)/4, $0x0000007f
DATA ·vmBias+4(SB)/4, $0x0000007f
DATA ·vmBias+8(SB)/4, $0x0000007f
DATA ·vmBias+12(SB)/4, $0x0000007f
DATA ·vmBias+16(SB)/4, $0x0000007f
DATA ·vmBias+20(SB)/4, $0x0000007f
DATA ·vmBias+24(SB)/4, $0x0000007f
DATA ·vmBias+28(SB)/4, $0x0000007f
GLOBL ·vmBias(SB), RODATA|NOPTR, $32
// vmAbs: mask clearing the sign bit, in all eight lanes.
DATA ·vmAbs+0(SB)/4, $0x7fffffff
DATA ·vmAbs+4(SB)/4, $0x7fffffff
DATA ·vmAbs+8(SB)/4, $0x7fffffff
DATA ·vmAbs+12(SB)/4, $0x7fffffff
DATA ·vmAbs+16(SB)/4, $0x7fffffff
DATA ·vmAbs+20(SB)/4, $0x7fffffff
DATA ·vmAbs+24(SB)/4, $0x7fffffff
DATA ·vmAbs+28(SB)/4, $0x7fffffff
GLOBL ·vmAbs(SB), RODATA|NOPTR, $32
// vmSign: the sign bit, in all eight lanes.
DATA ·vmSign+0(SB)/4, $0x80000000
DATA ·vmSign+4(SB)/4, $0x80000000
DATA ·vmSign+8(SB)/4, $0x80000000
DATA ·vmSign+12(SB)/4, $0x80000000
DATA ·vmSign+16(SB)/4, $0x80000000
DATA ·vmSign+20(SB)/4, $0x80000000
DATA ·vmSign+24(SB)/4, $0x80000000
DATA ·vmSign+28(SB)/4, $0x80000000
GLOBL ·vmSign(SB), RODATA|NOPTR, $32
// vmIota: the lane numbers 0..7 (int32), for tail masks.
DATA ·vmIota+0(SB)/4, $0
DATA ·vmIota+4(SB)/4, $1
DATA ·vmIota+8(SB)/4, $2
DATA ·vmIota+12(SB)/4, $3
DATA ·vmIota+16(SB)/4, $4
DATA ·vmIota+20(SB)/4, $5
DATA ·vmIota+24(SB)/4, $6
DATA ·vmIota+28(SB)/4, $7
GLOBL ·vmIota(SB), RODATA|NOPTR, $32

//go:build amd64 && !purego

#include "textflag.h"
#include "vecmath_amd64.h"
#include "vecmath_runs_amd64.h"

// Batch-norm kernels and Sum's float64-lane reduction, AVX2+FMA
// (vecmath_stats.go and vec.go have their Go twins).
// Reductions keep four pairs of 8-lane float32 accumulators in the main
// loop (32 values per iteration, enough independent adds to hide the add
// latency), fold them into one pair, finish whole vectors one at a time
// and the last n%8 values with masked loads (VMASKMOVPS neither reads nor
// faults past the end; masked lanes are zeroed before they are added).
// The combinations run 8 lanes at a time with a masked tail, every
// element through the same instructions, like vecmath_amd64.s. The loops
// of the kernels with a plane-wise form are the RUN macros of
// vecmath_runs_amd64.h, which their plane-wise forms run too.

// func sumSqAVX2(x []float32, c float32) (s1, s2 float32)
//
//	for _, v := range x {
//		d := v - c
//		s1 += d
//		s2 += d * d
//	}
TEXT ·sumSqAVX2(SB), NOSPLIT, $0-40
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSS c+24(FP), Y8
	SQRUN(sq_loop32, sq_check32, sq_loop8, sq_check8, sq_reduce)
	VMOVSS X0, s1+32(FP)
	VMOVSS X1, s2+36(FP)
	VZEROUPPER
	RET

// func sumDotAVX2(g, x []float32, c float32) (sg, sgx float32)
//
//	for i, v := range g {
//		sg += v
//		sgx += v * (x[i] - c)
//	}
TEXT ·sumDotAVX2(SB), NOSPLIT, $0-64
	MOVQ         g_base+0(FP), SI
	MOVQ         g_len+8(FP), CX
	MOVQ         x_base+24(FP), DX
	VBROADCASTSS c+48(FP), Y8
	DOTRUN(dot_loop32, dot_check32, dot_loop8, dot_check8, dot_reduce)
	VMOVSS X0, sg+56(FP)
	VMOVSS X1, sgx+60(FP)
	VZEROUPPER
	RET

// func combineAVX2(z, x, y []float32, a, b, c, d float32)
//
//	for i, v := range x {
//		z[i] = a*v + (b*(y[i]-c) + d)
//	}
TEXT ·combineAVX2(SB), NOSPLIT, $0-88
	MOVQ         z_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	MOVQ         y_base+48(FP), DX
	VBROADCASTSS a+72(FP), Y8
	VBROADCASTSS b+76(FP), Y9
	VBROADCASTSS c+80(FP), Y10
	VBROADCASTSS d+84(FP), Y11
	COMBRUN(comb_loop, comb_check, comb_done)
	VZEROUPPER
	RET

// func combineAddAVX2(z, x, y []float32, a, b, c, d float32)
//
//	for i, v := range x {
//		z[i] += a*v + (b*(y[i]-c) + d)
//	}
TEXT ·combineAddAVX2(SB), NOSPLIT, $0-88
	MOVQ         z_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	MOVQ         y_base+48(FP), DX
	VBROADCASTSS a+72(FP), Y8
	VBROADCASTSS b+76(FP), Y9
	VBROADCASTSS c+80(FP), Y10
	VBROADCASTSS d+84(FP), Y11
	COMBADDRUN(comba_loop, comba_check, comba_done)
	VZEROUPPER
	RET

// func sumAVX2(x []float32) float64
//
//	for _, v := range x {
//		s += float64(v)
//	}
//
// Four 4-lane float64 accumulators (each float32 widened exactly by
// VCVTPS2PD), then 4 at a time, then the last n%4 one by one.
TEXT ·sumAVX2(SB), NOSPLIT, $0-32
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD X5, X5, X5
	JMP    sum_check16

sum_loop16:
	VCVTPS2PD (SI), Y4
	VADDPD    Y4, Y0, Y0
	VCVTPS2PD 16(SI), Y4
	VADDPD    Y4, Y1, Y1
	VCVTPS2PD 32(SI), Y4
	VADDPD    Y4, Y2, Y2
	VCVTPS2PD 48(SI), Y4
	VADDPD    Y4, Y3, Y3
	ADDQ      $64, SI
	SUBQ      $16, CX

sum_check16:
	CMPQ   CX, $16
	JAE    sum_loop16
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VADDPD Y2, Y0, Y0
	JMP    sum_check4

sum_loop4:
	VCVTPS2PD (SI), Y4
	VADDPD    Y4, Y0, Y0
	ADDQ      $16, SI
	SUBQ      $4, CX

sum_check4:
	CMPQ CX, $4
	JAE  sum_loop4
	JMP  sum_check1

sum_loop1:
	VCVTSS2SD (SI), X4, X4
	VADDSD    X4, X5, X5
	ADDQ      $4, SI
	DECQ      CX

sum_check1:
	TESTQ CX, CX
	JNZ   sum_loop1
	VEXTRACTF128 $1, Y0, X4
	VADDPD       X4, X0, X0
	VPERMILPD    $1, X0, X4
	VADDSD       X4, X0, X0
	VADDSD       X5, X0, X0
	VMOVSD       X0, ret+24(FP)
	VZEROUPPER
	RET

// Plane-wise forms (vecmath_planes.go): len(s1) planes of hw values one
// after another, each through the single-plane kernel's instructions
// above (so each plane's sums have its bits), its sums stored at s1[p],
// s2[p]; one call instead of one a plane.

// func sumSqPlanesAVX2(s1, s2, x []float32, hw int, c []float32)
//
// c may be empty: c[p] = 0 for every plane.
TEXT ·sumSqPlanesAVX2(SB), NOSPLIT, $0-104
	MOVQ s1_base+0(FP), R10
	MOVQ s1_len+8(FP), BX
	MOVQ s2_base+24(FP), R8
	MOVQ x_base+48(FP), SI
	MOVQ hw+72(FP), R9
	MOVQ c_base+80(FP), R12
	MOVQ c_len+88(FP), R11
	XORQ R13, R13
	JMP  sqp_plane_check

sqp_plane:
	VXORPS       Y8, Y8, Y8
	TESTQ        R11, R11
	JZ           sqp_c
	VBROADCASTSS (R12)(R13*4), Y8

sqp_c:
	MOVQ   R9, CX
	SQRUN(sqp_loop32, sqp_check32, sqp_loop8, sqp_check8, sqp_reduce)
	VMOVSS X0, (R10)(R13*4)
	VMOVSS X1, (R8)(R13*4)
	INCQ   R13

sqp_plane_check:
	CMPQ R13, BX
	JB   sqp_plane
	VZEROUPPER
	RET

// func sumDotPlanesAVX2(sg, sgx, g, x []float32, hw int, c []float32)
TEXT ·sumDotPlanesAVX2(SB), NOSPLIT, $0-128
	MOVQ sg_base+0(FP), R10
	MOVQ sg_len+8(FP), BX
	MOVQ sgx_base+24(FP), R8
	MOVQ g_base+48(FP), SI
	MOVQ x_base+72(FP), DX
	MOVQ hw+96(FP), R9
	MOVQ c_base+104(FP), R12
	XORQ R13, R13
	JMP  dotp_plane_check

dotp_plane:
	VBROADCASTSS (R12)(R13*4), Y8
	MOVQ         R9, CX
	DOTRUN(dotp_loop32, dotp_check32, dotp_loop8, dotp_check8, dotp_reduce)
	VMOVSS X0, (R10)(R13*4)
	VMOVSS X1, (R8)(R13*4)
	INCQ   R13

dotp_plane_check:
	CMPQ R13, BX
	JB   dotp_plane
	VZEROUPPER
	RET

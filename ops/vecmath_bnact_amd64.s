//go:build amd64 && !purego

#include "textflag.h"
#include "vecmath_amd64.h"
#include "vecmath_runs_amd64.h"

// Batch norm fused with its activation, AVX2+FMA (vecmath_bnact.go has the
// Go twins). z = a·x + b is VMULPS then VADDPS, two roundings, exactly as
// scaleShiftAVX2 and the Go loops compute it, so the backward recomputes
// the forward's z bit for bit; SiLU is SILUBODY8 / SILUGRADTERM8, the
// instructions of siluAVX2 / siluGradToAVX2, so BN then SiLU as two ops
// and the fused op give the same bits.
//
// The gradient kernels also return Σgz and Σgz·(x−c) in float32 lanes:
// elements go 16 at a time, the first 8 to accumulators A, the next 8 to
// B (a tail of r < 16: its first min(r, 8) to A, the rest to B, masked),
// then A + B and HSUM. The AVX-512 kernels (vecmath_avx512_amd64.s) keep
// the same lanes in one zmm accumulator (lanes 0-7 = A, 8-15 = B) and fold
// it the same way, so both give the same sums, bit for bit.

// LEAKY8(Z): Z = Z if Z > 0, else slope·Z + 0 (Y10 = slope, Y11 = 0);
// clobbers Y1, Y2. A NaN z fails the compare and gives slope·NaN = NaN.
#define LEAKY8(Z) \
	VMULPS    Y10, Z, Y1; \
	VADDPS    Y11, Y1, Y1; \
	VCMPPS    $0x1e, Y11, Z, Y2; \
	VBLENDVPS Y2, Z, Y1, Z

// SLGSTEP(OFF, SG, SGX): one 8-wide step of scaleShiftLeakyGradAVX2:
// Y1 = z = a·x + b, Y5 = x − c, Y2 = gz = g if z > 0 else slope·g,
// stored; SG += gz, SGX += gz·(x − c). Y12..Y15 = a, b, slope, c; Y6 = 0.
#define SLGSTEP(OFF, SG, SGX) \
	VMOVUPS     OFF(DX), Y0; \
	VMULPS      Y12, Y0, Y1; \
	VADDPS      Y13, Y1, Y1; \
	VSUBPS      Y15, Y0, Y5; \
	VMOVUPS     OFF(SI), Y2; \
	VMULPS      Y14, Y2, Y3; \
	VCMPPS      $0x1e, Y6, Y1, Y4; \
	VBLENDVPS   Y4, Y2, Y3, Y2; \
	VMOVUPS     Y2, OFF(DI); \
	VADDPS      Y2, SG, SG; \
	VFMADD231PS Y5, Y2, SGX

// SLGTAIL(SG, SGX): SLGSTEP on the CX < 8 lanes at offset 0.
#define SLGTAIL(SG, SGX) \
	TAIL8(CX); \
	VMASKMOVPS  (DX), Y7, Y0; \
	VMULPS      Y12, Y0, Y1; \
	VADDPS      Y13, Y1, Y1; \
	VSUBPS      Y15, Y0, Y5; \
	VANDPS      Y7, Y5, Y5; \
	VMASKMOVPS  (SI), Y7, Y2; \
	VMULPS      Y14, Y2, Y3; \
	VCMPPS      $0x1e, Y6, Y1, Y4; \
	VBLENDVPS   Y4, Y2, Y3, Y2; \
	VANDPS      Y7, Y2, Y2; \
	VMASKMOVPS  Y2, Y7, (DI); \
	VADDPS      Y2, SG, SG; \
	VFMADD231PS Y5, Y2, SGX

// func scaleShiftSiLUAVX2(y, x []float32, a, b float32)
//
//	for i, v := range x {
//		z := float32(a*v) + b
//		y[i] = z * sigmoid32(z)
//	}
TEXT ·scaleShiftSiLUAVX2(SB), NOSPLIT, $0-56
	MOVQ         y_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS a+48(FP), Y12
	VBROADCASTSS b+52(FP), Y13
	VMOVUPS      ·vmExpLo(SB), Y15
	SSSILURUN(sss_loop, sss_check, sss_done)
	VZEROUPPER
	RET

// func scaleShiftLeakyAVX2(y, x []float32, a, b, slope float32)
//
//	for i, v := range x {
//		z := float32(a*v) + b
//		if z > 0 {
//			y[i] = z
//		} else {
//			y[i] = float32(slope*z) + 0
//		}
//	}
TEXT ·scaleShiftLeakyAVX2(SB), NOSPLIT, $0-60
	MOVQ         y_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS a+48(FP), Y8
	VBROADCASTSS b+52(FP), Y9
	VBROADCASTSS slope+56(FP), Y10
	VXORPS       Y11, Y11, Y11
	JMP          ssl_check

ssl_loop:
	VMULPS  (SI), Y8, Y0
	VADDPS  Y9, Y0, Y0
	LEAKY8(Y0)
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX

ssl_check:
	CMPQ  CX, $8
	JAE   ssl_loop
	TESTQ CX, CX
	JZ    ssl_done
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y0
	VMULPS     Y0, Y8, Y0
	VADDPS     Y9, Y0, Y0
	LEAKY8(Y0)
	VMASKMOVPS Y0, Y7, (DI)

ssl_done:
	VZEROUPPER
	RET

// func scaleShiftSiLUGradAVX2(gz, g, x []float32, a, b, c float32) (sg, sgx float32)
//
//	for i, v := range x {
//		z := float32(a*v) + b
//		gz[i] = g[i] * SiLU'(z)
//		sg += gz[i]
//		sgx += gz[i] * (v - c)
//	}
TEXT ·scaleShiftSiLUGradAVX2(SB), NOSPLIT, $96-96
	MOVQ         gz_base+0(FP), DI
	MOVQ         g_base+24(FP), SI
	MOVQ         x_base+48(FP), DX
	MOVQ         x_len+56(FP), CX
	VBROADCASTSS a+72(FP), Y0
	VMOVUPS      Y0, 0(SP)
	VBROADCASTSS b+76(FP), Y0
	VMOVUPS      Y0, 32(SP)
	VBROADCASTSS c+80(FP), Y0
	VMOVUPS      Y0, 64(SP)
	VMOVUPS      ·vmExpLo(SB), Y15
	SSGRUN(ssg_loop, ssg_check, ssg_short, ssg_skip, ssg_reduce, 0(SP), 32(SP), 64(SP))
	VMOVSS X8, sg+88(FP)
	VMOVSS X10, sgx+92(FP)
	VZEROUPPER
	RET

// func scaleShiftLeakyGradAVX2(gz, g, x []float32, a, b, slope, c float32) (sg, sgx float32)
//
//	for i, v := range x {
//		z := float32(a*v) + b
//		d := g[i]
//		if !(z > 0) {
//			d *= slope
//		}
//		gz[i] = d
//		sg += d
//		sgx += d * (v - c)
//	}
TEXT ·scaleShiftLeakyGradAVX2(SB), NOSPLIT, $0-96
	MOVQ         gz_base+0(FP), DI
	MOVQ         g_base+24(FP), SI
	MOVQ         x_base+48(FP), DX
	MOVQ         x_len+56(FP), CX
	VBROADCASTSS a+72(FP), Y12
	VBROADCASTSS b+76(FP), Y13
	VBROADCASTSS slope+80(FP), Y14
	VBROADCASTSS c+84(FP), Y15
	VXORPS       Y6, Y6, Y6
	VXORPS       Y8, Y8, Y8
	VXORPS       Y9, Y9, Y9
	VXORPS       Y10, Y10, Y10
	VXORPS       Y11, Y11, Y11
	JMP          slg_check

slg_loop:
	SLGSTEP(0, Y8, Y9)
	SLGSTEP(32, Y10, Y11)
	ADDQ $64, DX
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX

slg_check:
	CMPQ CX, $16
	JAE  slg_loop
	CMPQ CX, $8
	JB   slg_short
	SLGSTEP(0, Y8, Y9)
	ADDQ  $32, DX
	ADDQ  $32, SI
	ADDQ  $32, DI
	SUBQ  $8, CX
	TESTQ CX, CX
	JZ    slg_reduce
	SLGTAIL(Y10, Y11)
	JMP   slg_reduce

slg_short:
	TESTQ CX, CX
	JZ    slg_reduce
	SLGTAIL(Y8, Y9)

slg_reduce:
	VADDPS Y10, Y8, Y8
	VADDPS Y11, Y9, Y9
	HSUM(Y8, X8, X10)
	HSUM(Y9, X9, X10)
	VMOVSS X8, sg+88(FP)
	VMOVSS X9, sgx+92(FP)
	VZEROUPPER
	RET

// func scaleAddAVX2(z, x []float32, a float32, y []float32)
//
//	for i, v := range x {
//		z[i] = float32(a*v) + y[i]
//	}
TEXT ·scaleAddAVX2(SB), NOSPLIT, $0-80
	MOVQ         z_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS a+48(FP), Y8
	MOVQ         y_base+56(FP), DX
	JMP          sa_check

sa_loop:
	VMULPS  (SI), Y8, Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX

sa_check:
	CMPQ  CX, $8
	JAE   sa_loop
	TESTQ CX, CX
	JZ    sa_done
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y0
	VMASKMOVPS (DX), Y7, Y1
	VMULPS     Y0, Y8, Y0
	VADDPS     Y1, Y0, Y0
	VMASKMOVPS Y0, Y7, (DI)

sa_done:
	VZEROUPPER
	RET

// func scaleAddLeakyAVX2(z, x []float32, a float32, y []float32, slope float32)
//
//	for i, v := range x {
//		s := float32(a*v) + y[i]
//		z[i] = s if s > 0, else float32(slope*s) + 0
//	}
TEXT ·scaleAddLeakyAVX2(SB), NOSPLIT, $0-84
	MOVQ         z_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS a+48(FP), Y8
	MOVQ         y_base+56(FP), DX
	VBROADCASTSS slope+80(FP), Y10
	VXORPS       Y11, Y11, Y11
	JMP          sal_check

sal_loop:
	VMULPS  (SI), Y8, Y0
	VADDPS  (DX), Y0, Y0
	LEAKY8(Y0)
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX

sal_check:
	CMPQ  CX, $8
	JAE   sal_loop
	TESTQ CX, CX
	JZ    sal_done
	TAIL8(CX)
	VMASKMOVPS (SI), Y7, Y0
	VMASKMOVPS (DX), Y7, Y3
	VMULPS     Y0, Y8, Y0
	VADDPS     Y3, Y0, Y0
	LEAKY8(Y0)
	VMASKMOVPS Y0, Y7, (DI)

sal_done:
	VZEROUPPER
	RET

// func leakyGradInPlaceAVX2(g, y []float32, slope float32)
//
//	for i, v := range y {
//		if !(v > 0) {
//			g[i] *= slope
//		}
//	}
TEXT ·leakyGradInPlaceAVX2(SB), NOSPLIT, $0-52
	MOVQ         g_base+0(FP), DI
	MOVQ         y_base+24(FP), SI
	MOVQ         y_len+32(FP), CX
	VBROADCASTSS slope+48(FP), Y10
	VXORPS       Y11, Y11, Y11
	JMP          lg_check

lg_loop:
	VMOVUPS   (DI), Y0
	VMOVUPS   (SI), Y3
	VMULPS    Y10, Y0, Y1
	VCMPPS    $0x1e, Y11, Y3, Y2
	VBLENDVPS Y2, Y0, Y1, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	SUBQ      $8, CX

lg_check:
	CMPQ  CX, $8
	JAE   lg_loop
	TESTQ CX, CX
	JZ    lg_done
	TAIL8(CX)
	VMASKMOVPS (DI), Y7, Y0
	VMASKMOVPS (SI), Y7, Y3
	VMULPS     Y10, Y0, Y1
	VCMPPS     $0x1e, Y11, Y3, Y2
	VBLENDVPS  Y2, Y0, Y1, Y0
	VMASKMOVPS Y0, Y7, (DI)

lg_done:
	VZEROUPPER
	RET

// Macros shared by the AVX2 element-wise kernels (vecmath_amd64.s,
// vecmath_stats_amd64.s, vecmath_bnact_amd64.s). Constants are the
// 32-byte vectors at the end of vecmath_amd64.s.

// EXP8(X, N, P, T): X = e^X in every lane, for X already clamped to
// [expLo, expHi] (or NaN); N, P and T are clobbered. This is expCore of
// vecmath.go, with fused multiply-adds for the range reduction and the
// polynomial:
//
//	n = round(x·log2e); r = x − n·ln2Hi − n·ln2Lo
//	p = ((((c0·r + c1)·r + c2)·r + c3)·r + c4)·r + c5
//	p = p·r² + r + 1
//	e^x = p · 2^(n>>1) · 2^(n − n>>1)   (exponent bits built as integers)
#define EXP8(X, N, P, T) \
	VMULPS       ·vmLog2e(SB), X, N; \
	VROUNDPS     $0, N, N; \
	VFNMADD231PS ·vmLn2Hi(SB), N, X; \
	VFNMADD231PS ·vmLn2Lo(SB), N, X; \
	VMOVUPS      ·vmExpC0(SB), P; \
	VFMADD213PS  ·vmExpC1(SB), X, P; \
	VFMADD213PS  ·vmExpC2(SB), X, P; \
	VFMADD213PS  ·vmExpC3(SB), X, P; \
	VFMADD213PS  ·vmExpC4(SB), X, P; \
	VFMADD213PS  ·vmExpC5(SB), X, P; \
	VMULPS       X, X, T; \
	VFMADD213PS  X, T, P; \
	VADDPS       ·vmOne(SB), P, P; \
	VCVTPS2DQ    N, N; \
	VPSRAD       $1, N, T; \
	VPSUBD       T, N, N; \
	VPADDD       ·vmBias(SB), T, T; \
	VPSLLD       $23, T, T; \
	VPADDD       ·vmBias(SB), N, N; \
	VPSLLD       $23, N, N; \
	VMULPS       T, P, P; \
	VMULPS       N, P, X

// SIGPARTS8: from Y0 = x, Y1 = e = e^-|x| and Y2 = r = 1/(1+e)
// (sigmoidParts); clobbers Y3-Y5, reads Y15 = expLo. VMAXPS keeps a NaN
// of its last operand, so NaN inputs stay NaN.
#define SIGPARTS8 \
	VORPS   ·vmSign(SB), Y0, Y1; \
	VMAXPS  Y1, Y15, Y1; \
	EXP8(Y1, Y3, Y4, Y5); \
	VADDPS  ·vmOne(SB), Y1, Y2; \
	VMOVUPS ·vmOne(SB), Y3; \
	VDIVPS  Y2, Y3, Y2

// TAIL8(CNT): Y7 = mask of the lanes i < CNT (CNT in 1..7).
#define TAIL8(CNT) \
	VMOVD        CNT, X7; \
	VPBROADCASTD X7, Y7; \
	VPCMPGTD     ·vmIota(SB), Y7, Y7

// SILUBODY8: Y0 = Y0·σ(Y0).
#define SILUBODY8 \
	SIGPARTS8; \
	VMULPS    Y2, Y1, Y3; \
	VBLENDVPS Y0, Y3, Y2, Y4; \
	VMULPS    Y4, Y0, Y0

// SILUGRADTERM8: Y4 = Y9 (g)·s·(1 + x·c) from Y0 = x, with s = σ(x) and
// c = σ(−x) = 1 − σ(x) (r and e·r, swapped for negative x).
#define SILUGRADTERM8 \
	SIGPARTS8; \
	VMULPS    Y2, Y1, Y3; \
	VBLENDVPS Y0, Y3, Y2, Y4; \
	VBLENDVPS Y0, Y2, Y3, Y5; \
	VMULPS    Y5, Y0, Y5; \
	VADDPS    ·vmOne(SB), Y5, Y5; \
	VMULPS    Y5, Y4, Y4; \
	VMULPS    Y4, Y9, Y4

// HSUM(Y, X, T): lane 0 of X (the low half of Y) = the sum of Y's eight
// lanes; T is clobbered.
#define HSUM(Y, X, T) \
	VEXTRACTF128 $1, Y, T; \
	VADDPS       T, X, X; \
	VPERMILPS    $0x4e, X, T; \
	VADDPS       T, X, X; \
	VPERMILPS    $0xb1, X, T; \
	VADDPS       T, X, X

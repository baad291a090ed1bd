// The loops of the AVX2 element-wise kernels that have a plane-wise form,
// shared by the single-plane kernel (vecmath_amd64.s, vecmath_plain_amd64.s,
// vecmath_stats_amd64.s, vecmath_bnact_amd64.s) and its plane-wise form
// (vecmath_planes_avx2_amd64.s), so that both run the same instructions on
// every value and give the same bits. Include after vecmath_amd64.h.
//
// A RUN macro processes the CX values at its pointers (SI, and DX where it
// has a second input; DI for the output) and leaves every pointer just past
// them, the masked tail of CX mod 8 values included (a plane-wise kernel
// then starts the next plane there). A macro cannot make labels of its
// own, so the caller passes them. Y7 is the tail mask (TAIL8).

// COMBBODY8: Y0 = a·Y1 + (b·(Y2 − c) + d), from Y1 = x, Y2 = y and
// Y8..Y11 = a, b, c, d (two fused multiply-adds).
#define COMBBODY8 \
	VSUBPS      Y10, Y2, Y2; \
	VFMADD213PS Y11, Y9, Y2; \
	VFMADD231PS Y8, Y1, Y2; \
	VMOVAPS     Y2, Y0

// SQSTEP(OFF, D, S1, S2): D = x[OFF/4 ..+8] − c (c in Y8); S1 += D;
// S2 += D·D.
#define SQSTEP(OFF, D, S1, S2) \
	VMOVUPS     OFF(SI), D; \
	VSUBPS      Y8, D, D; \
	VADDPS      D, S1, S1; \
	VFMADD231PS D, D, S2

// DOTSTEP(OFF, G, D, S1, S2): G = g[..+8], D = x[..+8] − c (c in Y8);
// S1 += G; S2 += G·D.
#define DOTSTEP(OFF, G, D, S1, S2) \
	VMOVUPS     OFF(SI), G; \
	VMOVUPS     OFF(DX), D; \
	VSUBPS      Y8, D, D; \
	VADDPS      G, S1, S1; \
	VFMADD231PS D, G, S2

// SSGSTEP(OFF, SG, SGX, A, B, C): one 8-wide step of
// scaleShiftSiLUGradAVX2 at byte offset OFF: Y6 = x − c, Y0 = z = a·x + b,
// Y4 = gz = g·SiLU'(z) (SILUGRADTERM8, g in Y9), stored; SG += gz,
// SGX += gz·(x − c). A, B and C are the broadcast a, b, c (registers or
// 32-byte vectors in memory: the same bits either way).
#define SSGSTEP(OFF, SG, SGX, A, B, C) \
	VMOVUPS     OFF(DX), Y6; \
	VMULPS      A, Y6, Y0; \
	VADDPS      B, Y0, Y0; \
	VSUBPS      C, Y6, Y6; \
	VMOVUPS     OFF(SI), Y9; \
	SILUGRADTERM8; \
	VMOVUPS     Y4, OFF(DI); \
	VADDPS      Y4, SG, SG; \
	VFMADD231PS Y6, Y4, SGX

// SSGTAIL(SG, SGX, A, B, C): SSGSTEP on the CX < 8 lanes at offset 0; the
// lanes past the end add nothing.
#define SSGTAIL(SG, SGX, A, B, C) \
	TAIL8(CX); \
	VMASKMOVPS  (DX), Y7, Y6; \
	VMULPS      A, Y6, Y0; \
	VADDPS      B, Y0, Y0; \
	VSUBPS      C, Y6, Y6; \
	VANDPS      Y7, Y6, Y6; \
	VMASKMOVPS  (SI), Y7, Y9; \
	SILUGRADTERM8; \
	VANDPS      Y7, Y4, Y4; \
	VMASKMOVPS  Y4, Y7, (DI); \
	VADDPS      Y4, SG, SG; \
	VFMADD231PS Y6, Y4, SGX

// SQRUN: sumSqAVX2 on x at SI, c in Y8: X0 = Σ(x−c), X1 = Σ(x−c)² (lane
// 0). Four accumulator pairs Y0..Y7 over 32 values an iteration, folded
// into Y0, Y1, then 8 at a time and the masked tail. Clobbers Y0-Y12.
#define SQRUN(LOOP32, CHECK32, LOOP8, CHECK8, REDUCE) \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	JMP    CHECK32; \
LOOP32: \
	SQSTEP(0, Y9, Y0, Y1); \
	SQSTEP(32, Y10, Y2, Y3); \
	SQSTEP(64, Y11, Y4, Y5); \
	SQSTEP(96, Y12, Y6, Y7); \
	ADDQ $128, SI; \
	SUBQ $32, CX; \
CHECK32: \
	CMPQ   CX, $32; \
	JAE    LOOP32; \
	VADDPS Y2, Y0, Y0; \
	VADDPS Y6, Y4, Y4; \
	VADDPS Y4, Y0, Y0; \
	VADDPS Y3, Y1, Y1; \
	VADDPS Y7, Y5, Y5; \
	VADDPS Y5, Y1, Y1; \
	JMP    CHECK8; \
LOOP8: \
	SQSTEP(0, Y9, Y0, Y1); \
	ADDQ $32, SI; \
	SUBQ $8, CX; \
CHECK8: \
	CMPQ        CX, $8; \
	JAE         LOOP8; \
	TESTQ       CX, CX; \
	JZ          REDUCE; \
	TAIL8(CX); \
	VMASKMOVPS  (SI), Y7, Y9; \
	VSUBPS      Y8, Y9, Y9; \
	VANDPS      Y7, Y9, Y9; \
	VADDPS      Y9, Y0, Y0; \
	VFMADD231PS Y9, Y9, Y1; \
	LEAQ        (SI)(CX*4), SI; \
REDUCE: \
	HSUM(Y0, X0, X9); \
	HSUM(Y1, X1, X9)

// DOTRUN: sumDotAVX2 on g at SI, x at DX, c in Y8: X0 = Σg,
// X1 = Σg·(x−c) (lane 0), in SQRUN's order. Clobbers Y0-Y14.
#define DOTRUN(LOOP32, CHECK32, LOOP8, CHECK8, REDUCE) \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	JMP    CHECK32; \
LOOP32: \
	DOTSTEP(0, Y9, Y10, Y0, Y1); \
	DOTSTEP(32, Y11, Y12, Y2, Y3); \
	DOTSTEP(64, Y13, Y14, Y4, Y5); \
	DOTSTEP(96, Y9, Y10, Y6, Y7); \
	ADDQ $128, SI; \
	ADDQ $128, DX; \
	SUBQ $32, CX; \
CHECK32: \
	CMPQ   CX, $32; \
	JAE    LOOP32; \
	VADDPS Y2, Y0, Y0; \
	VADDPS Y6, Y4, Y4; \
	VADDPS Y4, Y0, Y0; \
	VADDPS Y3, Y1, Y1; \
	VADDPS Y7, Y5, Y5; \
	VADDPS Y5, Y1, Y1; \
	JMP    CHECK8; \
LOOP8: \
	DOTSTEP(0, Y9, Y10, Y0, Y1); \
	ADDQ $32, SI; \
	ADDQ $32, DX; \
	SUBQ $8, CX; \
CHECK8: \
	CMPQ        CX, $8; \
	JAE         LOOP8; \
	TESTQ       CX, CX; \
	JZ          REDUCE; \
	TAIL8(CX); \
	VMASKMOVPS  (SI), Y7, Y9; \
	VMASKMOVPS  (DX), Y7, Y10; \
	VSUBPS      Y8, Y10, Y10; \
	VANDPS      Y7, Y10, Y10; \
	VADDPS      Y9, Y0, Y0; \
	VFMADD231PS Y10, Y9, Y1; \
	LEAQ        (SI)(CX*4), SI; \
	LEAQ        (DX)(CX*4), DX; \
REDUCE: \
	HSUM(Y0, X0, X9); \
	HSUM(Y1, X1, X9)

// COMBRUN: combineAVX2, z at DI = a·x + (b·(y − c) + d), x at SI, y at
// DX, a..d in Y8..Y11.
#define COMBRUN(LOOP, CHECK, DONE) \
	JMP CHECK; \
LOOP: \
	VMOVUPS (SI), Y1; \
	VMOVUPS (DX), Y2; \
	COMBBODY8; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DX; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
CHECK: \
	CMPQ       CX, $8; \
	JAE        LOOP; \
	TESTQ      CX, CX; \
	JZ         DONE; \
	TAIL8(CX); \
	VMASKMOVPS (SI), Y7, Y1; \
	VMASKMOVPS (DX), Y7, Y2; \
	COMBBODY8; \
	VMASKMOVPS Y0, Y7, (DI); \
	LEAQ       (SI)(CX*4), SI; \
	LEAQ       (DX)(CX*4), DX; \
	LEAQ       (DI)(CX*4), DI; \
DONE:

// COMBADDRUN: combineAddAVX2, COMBRUN's value added to z.
#define COMBADDRUN(LOOP, CHECK, DONE) \
	JMP CHECK; \
LOOP: \
	VMOVUPS (SI), Y1; \
	VMOVUPS (DX), Y2; \
	COMBBODY8; \
	VADDPS  (DI), Y0, Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DX; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
CHECK: \
	CMPQ       CX, $8; \
	JAE        LOOP; \
	TESTQ      CX, CX; \
	JZ         DONE; \
	TAIL8(CX); \
	VMASKMOVPS (SI), Y7, Y1; \
	VMASKMOVPS (DX), Y7, Y2; \
	VMASKMOVPS (DI), Y7, Y3; \
	COMBBODY8; \
	VADDPS     Y3, Y0, Y0; \
	VMASKMOVPS Y0, Y7, (DI); \
	LEAQ       (SI)(CX*4), SI; \
	LEAQ       (DX)(CX*4), DX; \
	LEAQ       (DI)(CX*4), DI; \
DONE:

// SSRUN: scaleShiftAVX2, y at DI = a·x + b (a product, then a sum), x at
// SI, a, b in Y8, Y9.
#define SSRUN(LOOP, CHECK, DONE) \
	JMP CHECK; \
LOOP: \
	VMULPS  (SI), Y8, Y0; \
	VADDPS  Y9, Y0, Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
CHECK: \
	CMPQ       CX, $8; \
	JAE        LOOP; \
	TESTQ      CX, CX; \
	JZ         DONE; \
	TAIL8(CX); \
	VMASKMOVPS (SI), Y7, Y0; \
	VMULPS     Y0, Y8, Y0; \
	VADDPS     Y9, Y0, Y0; \
	VMASKMOVPS Y0, Y7, (DI); \
	LEAQ       (SI)(CX*4), SI; \
	LEAQ       (DI)(CX*4), DI; \
DONE:

// SSSILURUN: scaleShiftSiLUAVX2, y at DI = SiLU(a·x + b), x at SI, a, b
// in Y12, Y13, expLo in Y15.
#define SSSILURUN(LOOP, CHECK, DONE) \
	JMP CHECK; \
LOOP: \
	VMULPS  (SI), Y12, Y0; \
	VADDPS  Y13, Y0, Y0; \
	SILUBODY8; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
CHECK: \
	CMPQ       CX, $8; \
	JAE        LOOP; \
	TESTQ      CX, CX; \
	JZ         DONE; \
	TAIL8(CX); \
	VMASKMOVPS (SI), Y7, Y0; \
	VMULPS     Y0, Y12, Y0; \
	VADDPS     Y13, Y0, Y0; \
	SILUBODY8; \
	VMASKMOVPS Y0, Y7, (DI); \
	LEAQ       (SI)(CX*4), SI; \
	LEAQ       (DI)(CX*4), DI; \
DONE:

// SSGRUN: scaleShiftSiLUGradAVX2, gz at DI from g at SI and x at DX, a, b,
// c as SSGSTEP's A, B, C, expLo in Y15: X8 = Σgz, X10 = Σgz·(x − c) (lane
// 0). Elements go 16 at a time, the first 8 to Y8, Y10, the next 8 to
// Y11, Y12 (a tail of r < 16: its first min(r, 8) to the first pair, the
// rest to the second), then the pairs' sum and HSUM.
#define SSGRUN(LOOP, CHECK, SHORT, SKIP, REDUCE, A, B, C) \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11; \
	VXORPS Y12, Y12, Y12; \
	JMP    CHECK; \
LOOP: \
	SSGSTEP(0, Y8, Y10, A, B, C); \
	SSGSTEP(32, Y11, Y12, A, B, C); \
	ADDQ $64, DX; \
	ADDQ $64, SI; \
	ADDQ $64, DI; \
	SUBQ $16, CX; \
CHECK: \
	CMPQ  CX, $16; \
	JAE   LOOP; \
	CMPQ  CX, $8; \
	JB    SHORT; \
	SSGSTEP(0, Y8, Y10, A, B, C); \
	ADDQ  $32, DX; \
	ADDQ  $32, SI; \
	ADDQ  $32, DI; \
	SUBQ  $8, CX; \
	TESTQ CX, CX; \
	JZ    REDUCE; \
	SSGTAIL(Y11, Y12, A, B, C); \
	JMP   SKIP; \
SHORT: \
	TESTQ CX, CX; \
	JZ    REDUCE; \
	SSGTAIL(Y8, Y10, A, B, C); \
SKIP: \
	LEAQ (DX)(CX*4), DX; \
	LEAQ (SI)(CX*4), SI; \
	LEAQ (DI)(CX*4), DI; \
REDUCE: \
	VADDPS Y11, Y8, Y8; \
	VADDPS Y12, Y10, Y10; \
	HSUM(Y8, X8, X9); \
	HSUM(Y10, X10, X9)

// STRUN: scaleToAVX2, y at DI = a·x, x at SI, a in Y8; 16 values an
// iteration, then 8, then the masked tail.
#define STRUN(LOOP16, CHECK16, TAIL, DONE) \
	JMP CHECK16; \
LOOP16: \
	VMULPS  (SI), Y8, Y0; \
	VMULPS  32(SI), Y8, Y1; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DI; \
	SUBQ    $16, CX; \
CHECK16: \
	CMPQ    CX, $16; \
	JAE     LOOP16; \
	CMPQ    CX, $8; \
	JB      TAIL; \
	VMULPS  (SI), Y8, Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
TAIL: \
	TESTQ      CX, CX; \
	JZ         DONE; \
	TAIL8(CX); \
	VMASKMOVPS (SI), Y7, Y0; \
	VMULPS     Y0, Y8, Y0; \
	VMASKMOVPS Y0, Y7, (DI); \
	LEAQ       (SI)(CX*4), SI; \
	LEAQ       (DI)(CX*4), DI; \
DONE:

// AXPYRUN: axpyAVX2, y at DI += a·x (the product rounded first), x at SI,
// a in Y8; STRUN's steps.
#define AXPYRUN(LOOP16, CHECK16, TAIL, DONE) \
	JMP CHECK16; \
LOOP16: \
	VMULPS  (SI), Y8, Y0; \
	VMULPS  32(SI), Y8, Y1; \
	VADDPS  (DI), Y0, Y0; \
	VADDPS  32(DI), Y1, Y1; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DI; \
	SUBQ    $16, CX; \
CHECK16: \
	CMPQ    CX, $16; \
	JAE     LOOP16; \
	CMPQ    CX, $8; \
	JB      TAIL; \
	VMULPS  (SI), Y8, Y0; \
	VADDPS  (DI), Y0, Y0; \
	VMOVUPS Y0, (DI); \
	ADDQ    $32, SI; \
	ADDQ    $32, DI; \
	SUBQ    $8, CX; \
TAIL: \
	TESTQ      CX, CX; \
	JZ         DONE; \
	TAIL8(CX); \
	VMASKMOVPS (SI), Y7, Y0; \
	VMASKMOVPS (DI), Y7, Y2; \
	VMULPS     Y0, Y8, Y0; \
	VADDPS     Y2, Y0, Y0; \
	VMASKMOVPS Y0, Y7, (DI); \
	LEAQ       (SI)(CX*4), SI; \
	LEAQ       (DI)(CX*4), DI; \
DONE:

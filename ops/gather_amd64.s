//go:build amd64 && !purego

#include "textflag.h"

// The even floats of 32: VPERMT2PS indices over two registers.
DATA gatherEven<>+0(SB)/4, $0
DATA gatherEven<>+4(SB)/4, $2
DATA gatherEven<>+8(SB)/4, $4
DATA gatherEven<>+12(SB)/4, $6
DATA gatherEven<>+16(SB)/4, $8
DATA gatherEven<>+20(SB)/4, $10
DATA gatherEven<>+24(SB)/4, $12
DATA gatherEven<>+28(SB)/4, $14
DATA gatherEven<>+32(SB)/4, $16
DATA gatherEven<>+36(SB)/4, $18
DATA gatherEven<>+40(SB)/4, $20
DATA gatherEven<>+44(SB)/4, $22
DATA gatherEven<>+48(SB)/4, $24
DATA gatherEven<>+52(SB)/4, $26
DATA gatherEven<>+56(SB)/4, $28
DATA gatherEven<>+60(SB)/4, $30
GLOBL gatherEven<>(SB), RODATA|NOPTR, $64

// func gatherStride2AVX512(d, s []float32)
//
// d[i] = s[2i] for i < len(d), len(d) a multiple of 16, reading s[0 :
// 2*len(d)] (the caller checks): per 16 outputs, two loads and one
// VPERMT2PS that keeps the even floats.
TEXT ·gatherStride2AVX512(SB), NOSPLIT, $0-48
	MOVQ d_base+0(FP), DI
	MOVQ d_len+8(FP), CX
	MOVQ s_base+24(FP), SI
	SHRQ $4, CX
	JZ   done
	VMOVDQU32 gatherEven<>(SB), Z0

loop:
	VMOVUPS   (SI), Z1
	VPERMT2PS 64(SI), Z0, Z1
	VMOVUPS   Z1, (DI)
	ADDQ      $128, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       loop

done:
	VZEROUPPER
	RET

// func gatherStride2AVX2(d, s []float32)
//
// gatherStride2AVX512 for CPUs without AVX-512: per 8 outputs, two loads,
// a VSHUFPS that keeps the even floats of each 128-bit lane and a VPERMPD
// that puts the lanes' halves in order.
TEXT ·gatherStride2AVX2(SB), NOSPLIT, $0-48
	MOVQ d_base+0(FP), DI
	MOVQ d_len+8(FP), CX
	MOVQ s_base+24(FP), SI
	SHRQ $3, CX
	JZ   done2

loop2:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $64, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop2

done2:
	VZEROUPPER
	RET

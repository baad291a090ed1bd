//go:build ignore

// The data-movement kernels of depthwise_avx2_asmgen.go (copyRows, split2,
// split2Rows, merge2); run the two files together:
// `go run depthwise_avx2_asmgen.go depthwise_avx2_asmgen_move.go > depthwise_avx2_amd64.s`.

package main

// copyRows writes dwCopyRowsAVX2: 4 vectors, then 1, then the vector
// ending at n (overlapping, the same values again); rows narrower than a
// vector: a masked load and a store of n lanes.
func copyRows(a *asm) {
	a.raw(`// func dwCopyRowsAVX2(dst []float32, dstStride int, src []float32, srcStride, rows, n int)
//
// dwCopyRowsAVX512 with AVX2.
TEXT ·dwCopyRowsAVX2(SB), NOSPLIT, $0-80`)
	a.i("MOVQ dst_base+0(FP), DI")
	a.i("MOVQ dstStride+24(FP), R11")
	a.i("SHLQ $2, R11")
	a.i("MOVQ src_base+32(FP), SI")
	a.i("MOVQ srcStride+56(FP), R12")
	a.i("SHLQ $2, R12")
	a.i("MOVQ rows+64(FP), R13")
	a.i("MOVQ n+72(FP), R14")
	a.i("TESTQ R14, R14")
	a.i("JLE  cdone")
	a.i("TESTQ R13, R13")
	a.i("JLE  cdone")
	a.i("CMPQ R14, $8")
	a.i("JLT  cnarrow")
	a.i("MOVQ R14, R15")
	a.i("SHLQ $2, R15")
	a.i("LEAQ -32(R15), R10")

	a.label("crow")
	a.i("XORQ CX, CX")
	a.label("c4")
	a.i("LEAQ 128(CX), AX")
	a.i("CMPQ AX, R15")
	a.i("JGT  c1")
	for v := 0; v < 4; v++ {
		a.i("VMOVUPS %d(SI)(CX*1), Y%d", 32*v, v)
	}
	for v := 0; v < 4; v++ {
		a.i("VMOVUPS Y%d, %d(DI)(CX*1)", v, 32*v)
	}
	a.i("MOVQ AX, CX")
	a.i("JMP  c4")
	a.label("c1")
	a.i("LEAQ 32(CX), AX")
	a.i("CMPQ AX, R15")
	a.i("JGT  clast")
	a.i("VMOVUPS (SI)(CX*1), Y0")
	a.i("VMOVUPS Y0, (DI)(CX*1)")
	a.i("MOVQ AX, CX")
	a.i("JMP  c1")
	a.label("clast")
	a.i("CMPQ CX, R15")
	a.i("JGE  cnext")
	a.i("VMOVUPS (SI)(R10*1), Y0")
	a.i("VMOVUPS Y0, (DI)(R10*1)")
	a.label("cnext")
	a.i("ADDQ R11, DI")
	a.i("ADDQ R12, SI")
	a.i("DECQ R13")
	a.i("JNZ  crow")
	a.i("JMP  cdone")

	a.label("cnarrow")
	a.mask("R14", 12, 12, 0)
	a.label("cnrow")
	a.i("VMASKMOVPS (SI), Y12, Y0")
	a.i("MOVQ DI, AX")
	a.pstore(0, "AX", "R14")
	a.i("ADDQ R11, DI")
	a.i("ADDQ R12, SI")
	a.i("DECQ R13")
	a.i("JNZ  cnrow")

	a.label("cdone")
	a.i("VZEROUPPER")
	a.i("RET")
	a.raw("")
}

// split2Row writes one row of split2: the n values at SI to the evens at
// DI and the odds at R8, 16 values per step, then the rest (m < 16) by
// masked loads and stores of ceil(m/2) and floor(m/2) lanes. Uses AX, BX,
// CX, DX, Y0..Y3, Y12, Y13; n in R14.
func split2Row(a *asm, p string) {
	loop, tail, done := p+"16", p+"tail", p+"rowdone"
	a.i("XORQ CX, CX")
	a.label(loop)
	a.i("LEAQ 16(CX), AX")
	a.i("CMPQ AX, R14")
	a.i("JGT  %s", tail)
	a.i("VMOVUPS (SI)(CX*4), Y0")
	a.i("VMOVUPS 32(SI)(CX*4), Y1")
	split2Shuffle(a)
	a.i("MOVQ CX, BX")
	a.i("SHRQ $1, BX")
	a.i("VMOVUPS Y2, (DI)(BX*4)")
	a.i("VMOVUPS Y3, (R8)(BX*4)")
	a.i("MOVQ AX, CX")
	a.i("JMP  %s", loop)
	a.label(tail)
	a.i("MOVQ R14, AX")
	a.i("SUBQ CX, AX")
	a.i("JZ   %s", done)
	a.i("VMOVD AX, X13")
	a.i("VPBROADCASTD X13, Y13")
	a.i("VPCMPGTD dwIotaAVX2<>(SB), Y13, Y12")
	a.i("VPCMPGTD dwIotaAVX2<>+32(SB), Y13, Y13")
	a.i("VMASKMOVPS (SI)(CX*4), Y12, Y0")
	a.i("VMASKMOVPS 32(SI)(CX*4), Y13, Y1")
	split2Shuffle(a)
	a.i("MOVQ CX, BX")
	a.i("SHRQ $1, BX")
	a.i("LEAQ (DI)(BX*4), DX")
	a.i("LEAQ (R8)(BX*4), CX")
	a.i("LEAQ 1(AX), BX")
	a.i("SHRQ $1, BX")
	a.pstore(2, "DX", "BX")
	a.i("SHRQ $1, AX")
	a.pstore(3, "CX", "AX")
	a.label(done)
}

// split2Shuffle: Y2 = the even lanes of Y0:Y1 (16 values), Y3 the odd.
func split2Shuffle(a *asm) {
	a.i("VSHUFPS $0x88, Y1, Y0, Y2")
	a.i("VSHUFPS $0xDD, Y1, Y0, Y3")
	a.i("VPERMPD $0xD8, Y2, Y2")
	a.i("VPERMPD $0xD8, Y3, Y3")
}

func split2(a *asm) {
	a.raw(`// func dwSplit2AVX2(even, odd, src []float32, n int)
//
// dwSplit2AVX512 with AVX2.
TEXT ·dwSplit2AVX2(SB), NOSPLIT, $0-80`)
	a.i("MOVQ even_base+0(FP), DI")
	a.i("MOVQ odd_base+24(FP), R8")
	a.i("MOVQ src_base+48(FP), SI")
	a.i("MOVQ n+72(FP), R14")
	a.i("TESTQ R14, R14")
	a.i("JLE  sdone")
	split2Row(a, "s")
	a.label("sdone")
	a.i("VZEROUPPER")
	a.i("RET")
	a.raw("")

	a.raw(`// func dwSplit2RowsAVX2(dst []float32, dstStride, oddOff int, src []float32, srcStride, rows, n int)
//
// dwSplit2RowsAVX512 with AVX2: dwSplit2AVX2 on each row.
TEXT ·dwSplit2RowsAVX2(SB), NOSPLIT, $0-88`)
	a.i("MOVQ dst_base+0(FP), DI")
	a.i("MOVQ dstStride+24(FP), R10")
	a.i("SHLQ $2, R10")
	a.i("MOVQ oddOff+32(FP), R13")
	a.i("SHLQ $2, R13")
	a.i("MOVQ src_base+40(FP), SI")
	a.i("MOVQ srcStride+64(FP), R11")
	a.i("SHLQ $2, R11")
	a.i("MOVQ rows+72(FP), R9")
	a.i("MOVQ n+80(FP), R14")
	a.i("TESTQ R14, R14")
	a.i("JLE  s2rdone")
	a.i("TESTQ R9, R9")
	a.i("JLE  s2rdone")
	a.label("s2rrow")
	a.i("LEAQ (DI)(R13*1), R8")
	split2Row(a, "s2r")
	a.i("ADDQ R10, DI")
	a.i("ADDQ R11, SI")
	a.i("DECQ R9")
	a.i("JNZ  s2rrow")
	a.label("s2rdone")
	a.i("VZEROUPPER")
	a.i("RET")
	a.raw("")
}

// merge2 writes dwMerge2AVX2: 8 evens and 8 odds interleaved into 16
// values per step, then the rest (m < 16) from masked loads, stored as
// min(m, 8) and m-8 lanes.
func merge2(a *asm) {
	a.raw(`// func dwMerge2AVX2(dst, even, odd []float32, n, acc int)
//
// dwMerge2AVX512 with AVX2 (dst + value in add mode, as there).
TEXT ·dwMerge2AVX2(SB), NOSPLIT, $0-88`)
	a.i("MOVQ dst_base+0(FP), DI")
	a.i("MOVQ even_base+24(FP), SI")
	a.i("MOVQ odd_base+48(FP), R8")
	a.i("MOVQ n+72(FP), R14")
	a.i("MOVQ acc+80(FP), R9")
	a.i("XORQ CX, CX")
	a.i("TESTQ R14, R14")
	a.i("JLE  mdone")
	interleave := func() {
		a.i("VUNPCKLPS Y1, Y0, Y2")
		a.i("VUNPCKHPS Y1, Y0, Y3")
		a.i("VPERM2F128 $0x20, Y3, Y2, Y4")
		a.i("VPERM2F128 $0x31, Y3, Y2, Y5")
	}
	a.label("m16")
	a.i("LEAQ 16(CX), AX")
	a.i("CMPQ AX, R14")
	a.i("JGT  mtail")
	a.i("MOVQ CX, BX")
	a.i("SHRQ $1, BX")
	a.i("VMOVUPS (SI)(BX*4), Y0")
	a.i("VMOVUPS (R8)(BX*4), Y1")
	interleave()
	a.i("TESTQ R9, R9")
	a.i("JZ   mst")
	a.i("VADDPS (DI)(CX*4), Y4, Y4")
	a.i("VADDPS 32(DI)(CX*4), Y5, Y5")
	a.label("mst")
	a.i("VMOVUPS Y4, (DI)(CX*4)")
	a.i("VMOVUPS Y5, 32(DI)(CX*4)")
	a.i("MOVQ AX, CX")
	a.i("JMP  m16")

	a.label("mtail")
	a.i("MOVQ R14, AX")
	a.i("SUBQ CX, AX")
	a.i("JZ   mdone")
	a.raw("\t// ceil(m/2) evens and floor(m/2) odds")
	a.i("LEAQ 1(AX), BX")
	a.i("SHRQ $1, BX")
	a.mask("BX", 13, 12, 0)
	a.i("MOVQ AX, BX")
	a.i("SHRQ $1, BX")
	a.mask("BX", 13, 13, 0)
	a.i("MOVQ CX, BX")
	a.i("SHRQ $1, BX")
	a.i("VMASKMOVPS (SI)(BX*4), Y12, Y0")
	a.i("VMASKMOVPS (R8)(BX*4), Y13, Y1")
	interleave()
	a.i("TESTQ R9, R9")
	a.i("JZ   mtst")
	a.i("VMOVD AX, X13")
	a.i("VPBROADCASTD X13, Y13")
	a.i("VPCMPGTD dwIotaAVX2<>(SB), Y13, Y12")
	a.i("VPCMPGTD dwIotaAVX2<>+32(SB), Y13, Y13")
	a.i("VMASKMOVPS (DI)(CX*4), Y12, Y6")
	a.i("VADDPS Y6, Y4, Y4")
	a.i("VMASKMOVPS 32(DI)(CX*4), Y13, Y7")
	a.i("VADDPS Y7, Y5, Y5")
	a.label("mtst")
	a.raw("\t// min(m, 8) lanes of Y4, then m-8 of Y5")
	a.i("MOVQ $8, BX")
	a.i("CMPQ AX, BX")
	a.i("CMOVQLT AX, BX")
	a.i("SUBQ BX, AX")
	a.i("LEAQ (DI)(CX*4), DX")
	a.i("LEAQ 32(DI)(CX*4), CX")
	a.pstore(4, "DX", "BX")
	a.pstore(5, "CX", "AX")

	a.label("mdone")
	a.i("VZEROUPPER")
	a.i("RET")
}

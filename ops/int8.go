package ops

import (
	"fmt"
	"math"
	"sync"
)

// int8 matrix products for quantized inference (AVX512_VNNI / AVX-VNNI).
//
// Quantization. A weight matrix W [M, K] (one row per output channel) is
// quantized symmetrically per row, and an activation matrix X [K, N] (one
// column per output pixel) per tensor, asymmetrically, to unsigned bytes:
//
//	W[r,k] ≈ Sw[r] · Qw[r,k]      Qw in -127..127, Sw[r] = max_k |W[r,k]| / 127
//	X[k,j] ≈ Sx · (Qx[k,j] - Zx)  Qx in 0..255, Zx the code of 0.0
//
// so that, with the exact integer sum acc = Σ_k Qw[r,k]·Qx[k,j],
//
//	(W·X)[r,j] ≈ Sx·Sw[r] · (acc - Zx·Σ_k Qw[r,k])
//
// VPDPBUSD multiplies unsigned bytes by signed ones, four at a time, into
// int32 lanes: hence unsigned activations (with a zero point, as SiLU and
// residual outputs are signed) and signed weights (zero point 0). Sums
// never overflow: |acc| <= 255·127·K < 2^31 for K < 66,000.
//
// I8Gemm computes, for every r < M and j < N,
//
//	out[r,j] = float32(acc[r][j] - Zx·sum[r]) · (Sx·Sw[r]) + bias[r]
//
// with one rounding in the int32 → float32 conversion (exact below 2^24)
// and one in the fused multiply-add, on every machine: the integer sums do
// not depend on their order, so any kernel (assembly or the pure-Go twin
// microI8) gives the same bits, and K needs no blocking.
//
// Quantizing an activation (quantU8, and the assembly packers, which match
// it bit for bit):
//
//	v = clamp(x · (1/Sx), -Zx, 255-Zx)    float32 multiply; NaN → -Zx
//	Qx = round-to-even(v) + Zx

// i8Kernel is one int8 micro-kernel: an MR x NR tile over all of K.
//
//	a: K4 x MR dwords of 4 int8,  a[(q*MR+r)*4+t] = Qw[r, 4q+t]
//	b: K4 x NR dwords of 4 uint8, b[(q*NR+j)*4+t] = Qx[4q+t, j]
type i8Kernel struct {
	name   string
	mr, nr int
	fn     func(k4 int, a, b []byte, c []float32, ldc int, corr []int32, scale, bias []float32)
	// edges: kernels with the same NR and fewer rows (ascending MR) for
	// the last row of tiles; narrow: same MR (and edges), fewer columns,
	// for the last panel when it is at most narrow.nr wide.
	edges  []i8Kernel
	narrow *i8Kernel
}

// microI8 is the pure-Go twin of every int8 kernel:
//
//	acc = Σ_{q<k4, t<4} int8(a[(q*mr+r)*4+t]) · uint8(b[(q*nr+j)*4+t])
//	c[r*ldc+j] = fma(float32(acc - corr[r]), scale[r], bias[r])
func microI8(mr, nr, k4 int, a, b []byte, c []float32, ldc int, corr []int32, scale, bias []float32) {
	for r := 0; r < mr; r++ {
		for j := 0; j < nr; j++ {
			var s int32
			for q := 0; q < k4; q++ {
				ai := a[(q*mr+r)*4 : (q*mr+r)*4+4]
				bi := b[(q*nr+j)*4 : (q*nr+j)*4+4]
				s += int32(int8(ai[0]))*int32(bi[0]) + int32(int8(ai[1]))*int32(bi[1]) +
					int32(int8(ai[2]))*int32(bi[2]) + int32(int8(ai[3]))*int32(bi[3])
			}
			c[r*ldc+j] = fma32(float32(s-corr[r]), scale[r], bias[r])
		}
	}
}

// goI8Kernel runs microI8 where no assembly kernel applies (tests, and
// builds without assembly; slow).
var goI8Kernel = i8Kernel{name: "go_4x16", mr: 4, nr: 16, fn: func(k4 int, a, b []byte, c []float32, ldc int, corr []int32, scale, bias []float32) {
	microI8(4, 16, k4, a, b, c, ldc, corr, scale, bias)
}}

var activeI8 = pickI8()

func pickI8() *i8Kernel {
	if ks := asmI8Kernels(); len(ks) > 0 {
		return &ks[0]
	}
	return &goI8Kernel
}

// I8Available reports whether this CPU has int8 dot-product instructions
// (AVX512_VNNI or AVX-VNNI) and assembly is allowed. Without them I8Gemm
// still works, through the pure-Go twin, but far slower than float32.
func I8Available() bool { return len(asmI8Kernels()) > 0 }

// I8Kernel names the int8 micro-kernel I8Gemm uses.
func I8Kernel() string { return activeI8.name }

// quantU8 quantizes one activation (see the top of this file).
func quantU8(x, invS, lo, hi float32, z int32) byte {
	v := x * invS
	if !(v > lo) { // VMAXPS: the second operand when either is NaN
		v = lo
	}
	if !(v < hi) {
		v = hi
	}
	return byte(int32(math.RoundToEven(float64(v))) + z)
}

// I8Act is the quantization of an activation tensor: x ≈ Scale·(q - Zero).
type I8Act struct {
	Scale float32
	Zero  int32
}

// I8ActRange returns the quantization covering [lo, hi] (widened to
// include 0, so that zero padding is exact): 256 codes over the range, the
// zero point the code nearest to 0.
func I8ActRange(lo, hi float32) I8Act {
	lo, hi = min(lo, 0), max(hi, 0)
	if !(hi > lo) || math.IsInf(float64(hi-lo), 0) {
		return I8Act{Scale: 1}
	}
	s := (hi - lo) / 255
	z := int32(math.RoundToEven(float64(-lo / s)))
	return I8Act{Scale: s, Zero: max(0, min(255, z))}
}

func (q I8Act) params() (invS, lo, hi float32, z int32) {
	return 1 / q.Scale, float32(-q.Zero), float32(255 - q.Zero), q.Zero
}

// Quantize returns the code of x.
func (q I8Act) Quantize(x float32) byte {
	invS, lo, hi, z := q.params()
	return quantU8(x, invS, lo, hi, z)
}

// packI8B quantizes rows [0, k) and columns [0, cols) of x (row stride ld)
// into a B panel of nr columns: dst[(q*nr+j)*4+t] = Qx[4q+t, j], zero past
// k and cols. It writes ceil(k/4)*nr*4 bytes.
func packI8B(x []float32, ld, k, cols, nr int, act I8Act, dst []byte) {
	invS, lo, hi, z := act.params()
	k4 := (k + 3) / 4
	dst = dst[:k4*nr*4]
	full := k / 4
	j0 := 0
	if full > 0 {
		j0 = i8PackAsm(nr, dst, nr, x, ld, full, cols, invS, lo, hi, z)
	}
	for q := 0; q < k4; q++ {
		d := dst[q*nr*4 : (q+1)*nr*4]
		rows := min(4, k-4*q)
		if q < full {
			for j := j0; j < cols; j++ {
				for t := 0; t < 4; t++ {
					d[j*4+t] = quantU8(x[(4*q+t)*ld+j], invS, lo, hi, z)
				}
			}
		} else {
			for j := 0; j < cols; j++ {
				for t := 0; t < 4; t++ {
					var v byte
					if t < rows {
						v = quantU8(x[(4*q+t)*ld+j], invS, lo, hi, z)
					}
					d[j*4+t] = v
				}
			}
		}
		clear(d[cols*4:])
	}
}

// I8Weights is a weight matrix W [M, K] quantized per row, packed for the
// int8 kernel of this machine.
type I8Weights struct {
	M, K  int
	Q     []int8    // M x K, row-major: what a weight file stores
	Scale []float32 // per row: W[r,k] ≈ Scale[r]·Q[r,k]
	sum   []int32   // Σ_k Q[r,k]
	kern  *i8Kernel
	k4    int
	tiles [][]byte // A panel of each row of tiles (the last one packed for its edge kernel)
	tmr   []int    // MR of each tile's kernel
}

// QuantizeI8Weights quantizes W [m, k] (row-major) symmetrically per row:
// Scale[r] = max|W[r,:]|/127 and Q = round-to-even(W/Scale) (a zero row
// gets Scale 0 and Q 0).
func QuantizeI8Weights(w []float32, m, k int) *I8Weights {
	q := make([]int8, m*k)
	scale := make([]float32, m)
	for r := 0; r < m; r++ {
		row := w[r*k : (r+1)*k]
		var mx float32
		for _, v := range row {
			mx = max(mx, float32(math.Abs(float64(v))))
		}
		if mx == 0 || math.IsInf(float64(mx), 0) || mx != mx {
			continue
		}
		s := mx / 127
		scale[r] = s
		for i, v := range row {
			x := math.RoundToEven(float64(v / s))
			q[r*k+i] = int8(max(-127, min(127, x)))
		}
	}
	wq, _ := NewI8Weights(q, scale, m, k)
	return wq
}

// NewI8Weights packs already quantized weights (Q [m, k] row-major, one
// scale per row) for this machine's int8 kernel.
func NewI8Weights(q []int8, scale []float32, m, k int) (*I8Weights, error) {
	if len(q) != m*k || len(scale) != m {
		return nil, fmt.Errorf("ops.NewI8Weights: %d values and %d scales for a %dx%d matrix", len(q), len(scale), m, k)
	}
	w := &I8Weights{M: m, K: k, Q: q, Scale: scale, sum: make([]int32, m), kern: activeI8, k4: (k + 3) / 4}
	for r := 0; r < m; r++ {
		for _, v := range q[r*k : (r+1)*k] {
			w.sum[r] += int32(v)
		}
	}
	mr := w.kern.mr
	for i := 0; i < m; i += mr {
		rows := min(mr, m-i)
		tm := mr
		if rows < mr {
			for _, e := range w.kern.edges {
				if e.mr >= rows {
					tm = e.mr
					break
				}
			}
		}
		p := make([]byte, w.k4*tm*4)
		for r := 0; r < rows; r++ {
			for kk, v := range q[(i+r)*k : (i+r+1)*k] {
				p[((kk/4)*tm+r)*4+kk%4] = byte(v)
			}
		}
		w.tiles = append(w.tiles, p)
		w.tmr = append(w.tmr, tm)
	}
	return w, nil
}

// tileKernel returns the kernel for row tile i and panel width nr.
func (w *I8Weights) tileKernel(i int, k *i8Kernel) *i8Kernel {
	if w.tmr[i] == k.mr {
		return k
	}
	for e := range k.edges {
		if k.edges[e].mr == w.tmr[i] {
			return &k.edges[e]
		}
	}
	panic("ops: int8 edge kernel missing")
}

var i8Scratch = sync.Pool{New: func() any { return new(i8Buf) }}

type i8Buf struct {
	b    []byte
	tile []float32
	epi  []float32
	corr []int32
}

// i8ParallelMinOps: below this many multiply-adds an I8Gemm runs on the
// calling goroutine (waking a worker costs more).
const i8ParallelMinOps = 4 << 20

// I8Gemm computes out = W·X in int8 (see the top of this file): X [K, N]
// float32 with row stride ldx, quantized with act while it is packed; out
// [M, N] with row stride ldo; bias (length M) may be nil. With silu, each
// output then goes through SiLUI8 while its tile is in L1.
func I8Gemm(w *I8Weights, act I8Act, x []float32, ldx, n int, bias []float32, silu bool, out []float32, ldo int) {
	if n <= 0 || w.M == 0 {
		return
	}
	if len(x) < (w.K-1)*ldx+n || len(out) < (w.M-1)*ldo+n || (bias != nil && len(bias) < w.M) {
		panic(fmt.Sprintf("ops.I8Gemm: short buffers for %dx%d times %dx%d", w.M, w.K, w.K, n))
	}
	k := w.kern
	panels := (n + k.nr - 1) / k.nr
	run := func(lo, hi int) {
		buf := i8Scratch.Get().(*i8Buf)
		defer i8Scratch.Put(buf)
		if cap(buf.b) < w.k4*k.nr*4 {
			buf.b = make([]byte, w.k4*k.nr*4)
		}
		if cap(buf.tile) < k.mr*k.nr {
			buf.tile = make([]float32, k.mr*k.nr)
		}
		if cap(buf.epi) < 2*w.M {
			buf.epi = make([]float32, 2*w.M)
			buf.corr = make([]int32, w.M)
		}
		scale, bi, corr := buf.epi[:w.M], buf.epi[w.M:2*w.M], buf.corr[:w.M]
		for r := range scale {
			scale[r] = act.Scale * w.Scale[r]
			corr[r] = act.Zero * w.sum[r]
			bi[r] = 0
			if bias != nil {
				bi[r] = bias[r]
			}
		}
		for p := lo; p < hi; p++ {
			j0 := p * k.nr
			cols := min(k.nr, n-j0)
			pk := k
			if k.narrow != nil && cols <= k.narrow.nr {
				pk = k.narrow
			}
			bp := buf.b[:w.k4*pk.nr*4]
			packI8B(x[j0:], ldx, w.K, cols, pk.nr, act, bp)
			for i := range w.tiles {
				tk := w.tileKernel(i, pk)
				r0 := i * k.mr
				rows := min(tk.mr, w.M-r0)
				if rows == tk.mr && cols == tk.nr {
					tk.fn(w.k4, w.tiles[i], bp, out[r0*ldo+j0:], ldo, corr[r0:], scale[r0:], bi[r0:])
					if silu {
						for r := 0; r < rows; r++ {
							o := out[(r0+r)*ldo+j0 : (r0+r)*ldo+j0+cols]
							SiLUI8(o, o)
						}
					}
					continue
				}
				// Partial tile: the epilogue constants padded to the tile.
				var ce [16]int32
				var se, be [16]float32
				copy(ce[:], corr[r0:r0+rows])
				copy(se[:], scale[r0:r0+rows])
				copy(be[:], bi[r0:r0+rows])
				t := buf.tile[:tk.mr*tk.nr]
				tk.fn(w.k4, w.tiles[i], bp, t, tk.nr, ce[:], se[:], be[:])
				for r := 0; r < rows; r++ {
					o := out[(r0+r)*ldo+j0 : (r0+r)*ldo+j0+cols]
					copy(o, t[r*tk.nr:r*tk.nr+cols])
					if silu {
						SiLUI8(o, o)
					}
				}
			}
		}
	}
	if w.M*n*w.K < i8ParallelMinOps {
		run(0, panels)
		return
	}
	ParallelCoarse(panels, 1, run)
}

// I8GemmRef is the plain reference of I8Gemm: quantize X, integer dot
// products, the same epilogue (and silu32), for tests and readers.
func I8GemmRef(w *I8Weights, act I8Act, x []float32, ldx, n int, bias []float32, silu bool, out []float32, ldo int) {
	for r := 0; r < w.M; r++ {
		for j := 0; j < n; j++ {
			var s int32
			for kk := 0; kk < w.K; kk++ {
				s += int32(w.Q[r*w.K+kk]) * int32(act.Quantize(x[kk*ldx+j]))
			}
			var b float32
			if bias != nil {
				b = bias[r]
			}
			out[r*ldo+j] = fma32(float32(s-act.Zero*w.sum[r]), act.Scale*w.Scale[r], b)
			if silu {
				out[r*ldo+j] = silu32(out[r*ldo+j])
			}
		}
	}
}

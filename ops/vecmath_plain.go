package ops

// The plain element-wise kernels: one multiply or add per element
// (ScaleTo, Scale, Axpy, Add, Sub, Mul). Go's compiler does not
// vectorize, so these loops ran at about one element per cycle; the
// assembly twins (vecmath_plain_amd64.s) take eight lanes at a time and
// round every product and sum exactly as these loops do (no fused
// multiply-add), so both give the same bits.

func scaleToGo(y, x []float32, a float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = a * v
	}
}

func axpyVecGo(y, x []float32, a float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float32(a * v) // two roundings, as the assembly (no FMA)
	}
}

func addGo(z, x, y []float32) {
	z, y = z[:len(x)], y[:len(x)]
	for i, v := range x {
		z[i] = v + y[i]
	}
}

func subGo(z, x, y []float32) {
	z, y = z[:len(x)], y[:len(x)]
	for i, v := range x {
		z[i] = v - y[i]
	}
}

func mulGo(z, x, y []float32) {
	z, y = z[:len(x)], y[:len(x)]
	for i, v := range x {
		z[i] = v * y[i]
	}
}

package autograd

// SetConvTileCols makes Conv2d split its column matrices into tiles of tp
// output pixels (the last one shorter) until the returned restore is called.
func SetConvTileCols(tp int) (restore func()) {
	old := convTileCols
	convTileCols = func(rows, cols int) int { return min(tp, cols) }
	return func() { convTileCols = old }
}

// DrawMask is drawMask, for the external tests.
var DrawMask = drawMask

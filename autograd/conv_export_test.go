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

// SetWinogradTile makes every Winograd convolution use F(mt x mt, 3x3),
// mt = 2 or 4 (0: the choice by cost), until the returned restore is
// called.
func SetWinogradTile(mt int) (restore func()) {
	old := winogradForceTile
	winogradForceTile = mt
	return func() { winogradForceTile = old }
}

// SetWinograd makes Conv2d take the Winograd forward for 3x3 stride-1
// convolutions with at least minChannels input and output channels (0:
// never), in chunks of V and M of at most chunkFloats (0: the default),
// until the returned restore is called.
func SetWinograd(minChannels, chunkFloats int) (restore func()) {
	oldOn, oldMin, oldChunk := convWinograd, winogradMinChannels, winogradChunkFloats
	convWinograd, winogradMinChannels = minChannels > 0, minChannels
	if chunkFloats > 0 {
		winogradChunkFloats = chunkFloats
	}
	return func() { convWinograd, winogradMinChannels, winogradChunkFloats = oldOn, oldMin, oldChunk }
}

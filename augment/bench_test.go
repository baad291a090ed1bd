package augment

import (
	"image"
	"testing"
)

// Benchmarks at the training size 448 x 448, one op per iteration:
//
//	go test ./augment/ -run '^$' -bench . -benchtime 20x
func bench448() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 448, 448))
	r := newRNG(2)
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	return img
}

func BenchmarkOps448(b *testing.B) {
	img := bench448()
	for op := Op(0); op < NumOps; op++ {
		b.Run(op.String(), func(b *testing.B) {
			b.SetBytes(int64(len(img.Pix)))
			for i := 0; i < b.N; i++ {
				ApplyOpSigned(img, op, 5, 1, 224, 224)
			}
		})
	}
}

func BenchmarkTrain448(b *testing.B) {
	img := bench448()
	tr := Train(DefaultTrainOptions())
	rng := newRNG(9)
	b.SetBytes(int64(len(img.Pix)))
	for i := 0; i < b.N; i++ {
		tr(img, rng)
	}
}

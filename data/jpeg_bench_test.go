package data

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecodeJPEG: decoding to RGBA through image/jpeg (then
// ToRGBAInto) against the baseline decoder of jpeg.go, on the VOC photos
// of the shared data that it takes (500 x 375, libjpeg's 4:2:0) when they
// are beside the checkout, else on 500 x 375 JPEGs written by image/jpeg.
// ms/img is per image; the destination buffer is reused, as the loader's
// workers do.
//
//	go test ./data -run '^$' -bench DecodeJPEG -benchtime 40x
func BenchmarkDecodeJPEG(b *testing.B) {
	var files [][]byte
	paths, _ := filepath.Glob("../../shared/data/voc-sample/VOCdevkit/VOC2007/JPEGImages/*.jpg")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := decodeJPEGFast(nil, data); ok {
			files = append(files, data)
		}
	}
	if len(files) == 0 {
		rng := rand.New(rand.NewPCG(1, 1))
		for range 4 {
			img := image.NewRGBA(image.Rect(0, 0, 500, 375))
			for i := range img.Pix {
				img.Pix[i] = uint8(i/4%500/2 + rng.IntN(16))
			}
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
				b.Fatal(err)
			}
			files = append(files, buf.Bytes())
		}
	}
	for _, impl := range []string{"image-jpeg", "fast"} {
		b.Run(impl, func(b *testing.B) {
			var dst *image.RGBA
			for b.Loop() {
				for _, data := range files {
					if impl == "fast" {
						dst, _ = decodeJPEGFast(dst, data)
						continue
					}
					img, err := jpeg.Decode(bytes.NewReader(data))
					if err != nil {
						b.Fatal(err)
					}
					dst = ToRGBAInto(dst, img)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N*len(files)), "ms/img")
		})
	}
}

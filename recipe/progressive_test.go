package recipe

import (
	"slices"
	"testing"
)

func TestProgressiveSize(t *testing.T) {
	sizes := func(epochs, start, size int) []int {
		var s []int
		for e := range epochs {
			s = append(s, ProgressiveSize(e, epochs, start, size))
		}
		return s
	}
	for _, c := range []struct {
		epochs, start, size int
		want                []int
	}{
		{13, 64, 128, []int{64, 64, 80, 80, 80, 96, 96, 96, 112, 112, 112, 128, 128}}, // the laptop preset
		{10, 96, 128, []int{96, 96, 96, 112, 112, 112, 112, 128, 128, 128}},
		{4, 64, 128, []int{64, 80, 112, 128}},
		{3, 100, 128, []int{100, 112, 128}}, // start is kept though not a multiple of 16
		{5, 0, 128, []int{128, 128, 128, 128, 128}},
		{1, 96, 128, []int{128}},
		{3, 128, 128, []int{128, 128, 128}},
	} {
		if got := sizes(c.epochs, c.start, c.size); !slices.Equal(got, c.want) {
			t.Errorf("ProgressiveSize over %d epochs %d→%d = %v, want %v", c.epochs, c.start, c.size, got, c.want)
		}
	}
	o := &Options{Size: 128, SizeStart: 96, Epochs: 10}
	if got, want := sizesText(o), "96px (epochs 1-3), 112px (4-7), 128px (8-10)"; got != want {
		t.Errorf("sizesText = %q, want %q", got, want)
	}
	o.SizeStart = 0
	if got := sizesText(o); got != "128px" {
		t.Errorf("sizesText without progressive resizing = %q", got)
	}
}

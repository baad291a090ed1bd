package data

import (
	"strings"
	"testing"
)

func TestParseNorm(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Norm
	}{
		{"", NormHalf},
		{"half", NormHalf},
		{"ImageNet", NormImageNet},
		{"unit", NormUnit},
		{"0.485,0.456,0.406/0.229,0.224,0.225", NormImageNet},
		{"0, 0, 0 / 1, 1, 1", NormUnit},
		{"0.1,0.2,0.3/0.4,0.5,0.6", Norm{Mean: [3]float32{0.1, 0.2, 0.3}, Std: [3]float32{0.4, 0.5, 0.6}}},
	} {
		got, err := ParseNorm(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseNorm(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, err := ParseNorm(got.String()); err != nil || back != got {
			t.Errorf("ParseNorm(%q.String() = %q) = %v, %v", tc.in, got.String(), back, err)
		}
	}
	for _, bad := range []string{"tf", "1,2/3,4,5", "0,0,0/1,0,1", "a,b,c/1,1,1", "0,0,0/1,1,-1"} {
		if _, err := ParseNorm(bad); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseNorm(%q): want a one-line error, got %v", bad, err)
		}
	}
	if NormImageNet.String() != "imagenet" || NormUnit.String() != "unit" || NormHalf.String() != "half" {
		t.Error("named normalizations print their names")
	}
}

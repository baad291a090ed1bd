package chart

import (
	"math"
	"strconv"
)

// tick is one mark on an axis, at a position in the scale's units
// (log10 of the value on a log axis); a major tick has a label, a minor
// one none.
type tick struct {
	at    float64
	label string
}

// ticks places the marks of an axis spanning [lo, hi] (in the scale's
// units).
//
// Linear: majors at the multiples of a round step, 1, 2 or 5 times a
// power of ten: the smallest that fits the range at most seven times (3
// to 8 ticks).
//
// Log: majors at the powers of ten inside the range, minors at 2..9
// times them. Where fewer than two powers of ten fall inside, the 2x and
// 5x marks get labels too, then every minor mark; a range narrower than
// that gets linear ticks of the values.
func ticks(s Scale, lo, hi float64) []tick {
	if s != Log {
		return linearTicks(lo, hi, func(v float64) float64 { return v })
	}
	var out []tick
	labelled := 0
	for k := math.Floor(lo); k <= math.Ceil(hi); k++ {
		for m := 1; m <= 9; m++ {
			u := k + math.Log10(float64(m))
			if u < lo-1e-9 || u > hi+1e-9 {
				continue
			}
			t := tick{at: u}
			if m == 1 {
				t.label = formatLog(k, m)
				labelled++
			}
			out = append(out, t)
		}
	}
	if labelled >= 2 {
		return out
	}
	for _, ms := range [][]int{{2, 5}, {2, 3, 4, 5, 6, 7, 8, 9}} {
		labelled = 0
		for i := range out {
			k := math.Floor(out[i].at + 1e-9)
			m := int(math.Round(math.Pow(10, out[i].at-k)))
			for _, want := range append([]int{1}, ms...) {
				if m == want {
					out[i].label = formatLog(k, m)
				}
			}
			if out[i].label != "" {
				labelled++
			}
		}
		if labelled >= 2 {
			return out
		}
	}
	return linearTicks(math.Pow(10, lo), math.Pow(10, hi), math.Log10)
}

// linearTicks are round-step ticks of the values in [lo, hi], placed at
// unit(value).
func linearTicks(lo, hi float64, unit func(float64) float64) []tick {
	if !(hi > lo) {
		return nil
	}
	pow := math.Pow(10, math.Floor(math.Log10((hi-lo)/7)))
	step := 10 * pow
	for _, m := range []float64{1, 2, 5} {
		if (hi-lo)/(m*pow) <= 7*(1+1e-9) {
			step = m * pow
			break
		}
	}
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	var out []tick
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+step*1e-9; i++ {
		v := i * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		out = append(out, tick{at: unit(v), label: formatLinear(v, decimals)})
	}
	return out
}

// formatLinear writes v with the step's decimals, or in exponent form
// when that would be long.
func formatLinear(v float64, decimals int) string {
	if decimals > 5 || math.Abs(v) >= 1e7 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// formatLog writes m·10^k: "1e-05", "0.002", "100", "3e+06".
func formatLog(k float64, m int) string {
	return strconv.FormatFloat(float64(m)*math.Pow(10, k), 'g', 1, 64)
}

// Package quant is post-training int8 quantization of a trained classifier
// for inference on CPUs with int8 dot-product instructions (AVX512_VNNI,
// AVX-VNNI). How:
//
//   - BatchNorm is folded into the convolution before it (eval statistics);
//   - the weights of every convolution that is a matrix product are
//     quantized symmetrically per output channel (int8, -127..127);
//   - the input of each such convolution is quantized per tensor,
//     asymmetrically, to unsigned bytes over a range calibrated on a few
//     hundred training images (Calibrate);
//   - the products run in ops.I8Gemm (exact int32 sums), everything else
//     (depthwise convolutions, squeeze-excitation, residual additions, the
//     classification head) in float32.
//
// The calibration (one range per quantized convolution) is what a run folder
// keeps, in int8.json; the int8 weights are derived again from the float32
// weights when the model is loaded (the rounding is deterministic), and
// int8.json records the SHA-256 of the weights file it was calibrated on.
package quant

import (
	"fmt"

	"github.com/seed477ab429/multilabel/ops"
)

// Range is a calibrated activation range: the input of a quantized
// convolution is mapped to 256 codes over [Min, Max] (widened to hold 0).
type Range struct {
	Min float32 `json:"min"`
	Max float32 `json:"max"`
}

// Calibration is the calibrated input range of every quantized
// convolution, by the convolution's state-dict name.
type Calibration map[string]Range

// BeginCalibration resets the recorded ranges and switches the engine to
// the float32 mode that records them.
func (e *Engine) BeginCalibration() {
	e.int8, e.calib = false, true
	for _, c := range e.convs {
		c.seen = false
	}
}

// EndCalibration stops recording and returns the ranges seen since
// BeginCalibration. It is an error if a convolution saw no input.
func (e *Engine) EndCalibration() (Calibration, error) {
	e.calib = false
	cal := Calibration{}
	for _, c := range e.convs {
		if !c.seen {
			return nil, fmt.Errorf("quant: %s saw no input during calibration", c.name)
		}
		cal[c.name] = Range{c.lo, c.hi}
	}
	return cal, nil
}

// Quantize switches the engine to int8 with the given calibration:
// weights quantized per output channel, inputs with their ranges. Every
// quantized convolution must have a range, and every range must name one.
func (e *Engine) Quantize(cal Calibration) error {
	names := map[string]bool{}
	for _, c := range e.convs {
		names[c.name] = true
		r, ok := cal[c.name]
		if !ok {
			return fmt.Errorf("quant: no calibrated range for %s", c.name)
		}
		if !(r.Max >= r.Min) {
			return fmt.Errorf("quant: %s: bad range [%g, %g]", c.name, r.Min, r.Max)
		}
		k := len(c.w) / c.cout
		c.q = ops.QuantizeI8Weights(c.w, c.cout, k)
		c.qa = ops.I8ActRange(r.Min, r.Max)
	}
	for n := range cal {
		if !names[n] {
			return fmt.Errorf("quant: the calibration names %s, which is not a quantized convolution of %s", n, e.name)
		}
	}
	e.int8, e.calib = true, false
	return nil
}

// Float32 switches the engine back to the folded float32 mode.
func (e *Engine) Float32() { e.int8, e.calib = false, false }

// Int8 reports whether the engine runs in int8.
func (e *Engine) Int8() bool { return e.int8 }

// Layers is the number of quantized convolutions.
func (e *Engine) Layers() int { return len(e.convs) }

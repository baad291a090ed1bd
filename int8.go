package multilabel

import (
	"errors"
	"fmt"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/ops"
	"github.com/seed477ab429/multilabel/quant"
)

// ErrNoInt8CPU is returned by WithInt8 on a CPU without int8 dot-product
// instructions (AVX512_VNNI or AVX-VNNI), or with assembly disabled; the
// float32 model is then the one to use.
var ErrNoInt8CPU = errors.New("multilabel: this CPU has no AVX512_VNNI or AVX-VNNI; int8 inference is not available")

// WithInt8 returns a model that shares m's network and runs it in int8
// with the calibration of the run folder dir (dir/int8.json, written by
// `multilabel quantize -run dir`, checked against the weights file it was
// calibrated on): BatchNorm folded, the backbone's convolutions in int8,
// its depthwise convolutions and the head in float32 (package quant). m is
// unchanged; the new model is as safe for concurrent use as m.
//
// On a CPU without the instructions it returns ErrNoInt8CPU, once the
// run folder's int8.json has been read and checked (a missing or stale
// calibration is the same error on every machine).
func (m *Model) WithInt8(dir string) (*Model, error) {
	info, err := quant.ReadInfo(dir)
	if err != nil {
		return nil, err
	}
	if info.Weights != WeightsFile {
		return nil, fmt.Errorf("multilabel: %s/%s was calibrated on %s, not on the model's %s", dir, quant.File, info.Weights, WeightsFile)
	}
	if !ops.I8Available() { // after the run's own checks, so that a run without int8.json is an error on every CPU
		return nil, ErrNoInt8CPU
	}
	q, err := quant.New(m.net)
	if err != nil {
		return nil, err
	}
	if err := q.Engine.Quantize(info.Ranges); err != nil {
		return nil, fmt.Errorf("multilabel: %s/%s: %w", dir, quant.File, err)
	}
	c := *m
	c.int8 = q
	return &c, nil
}

// Precision names what the model computes in: "int8" for a model from
// WithInt8, else "float32".
func (m *Model) Precision() string {
	if m.int8 != nil {
		return "int8"
	}
	return "float32"
}

// network is what a forward pass runs: the int8 model after WithInt8.
func (m *Model) network() interface {
	Forward(*nn.Ctx, *ag.Tensor) *ag.Tensor
} {
	if m.int8 != nil {
		return m.int8
	}
	return m.net
}

package nn

import (
	"fmt"
	"math/rand/v2"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// Kind separates trainable parameters from buffers (BatchNorm running
// statistics, ML-Decoder's frozen queries): both are saved in state dicts,
// only parameters are handed to optimizers.
type Kind int

const (
	Param  Kind = iota // trained by the optimizer
	Buffer             // saved and loaded, not trained
)

// Module is a layer or a model. Visit calls fn for each of its tensors with
// its state-dict name (PyTorch's, e.g. "features.0.1.running_mean") joined
// to prefix, in a fixed order. Containers visit their children with
// Join(prefix, childName).
type Module interface {
	Visit(prefix string, fn func(name string, t *ag.Tensor, kind Kind))
}

// Ctx is the mode of one forward call: training or evaluation, and the
// random source of dropout and stochastic depth in training. Passing it
// explicitly (instead of a train()/eval() flag stored in every layer) keeps
// layers stateless about mode and makes runs reproducible from a seed.
type Ctx struct {
	Training bool
	RNG      *rand.Rand
}

// Eval is the context of inference.
var Eval = &Ctx{}

// Train returns a training context drawing randomness from a PCG seeded
// with seed.
func Train(seed uint64) *Ctx {
	return &Ctx{Training: true, RNG: rand.New(rand.NewPCG(seed, 0x6d6c))}
}

// Join joins state-dict name parts with dots, skipping empty ones.
func Join(prefix, name string) string {
	switch {
	case prefix == "":
		return name
	case name == "":
		return prefix
	}
	return prefix + "." + name
}

// NamedTensor is one entry of a module's state.
type NamedTensor struct {
	Name   string
	Tensor *ag.Tensor
	Kind   Kind
}

// Tensors lists every parameter and buffer of m in visiting order.
func Tensors(m Module) []NamedTensor {
	var out []NamedTensor
	m.Visit("", func(name string, t *ag.Tensor, kind Kind) {
		out = append(out, NamedTensor{name, t, kind})
	})
	return out
}

// Parameters lists the trainable parameters of m (Kind Param that require
// a gradient), in visiting order.
func Parameters(m Module) []NamedTensor {
	var out []NamedTensor
	for _, nt := range Tensors(m) {
		if nt.Kind == Param && nt.Tensor.RequiresGrad() {
			out = append(out, nt)
		}
	}
	return out
}

// StateMap returns m's tensors by state-dict name. It panics if two
// tensors share a name: that is a bug in a module's Visit.
func StateMap(m Module) map[string]*ag.Tensor {
	out := map[string]*ag.Tensor{}
	for _, nt := range Tensors(m) {
		if _, dup := out[nt.Name]; dup {
			panic(fmt.Sprintf("nn: two tensors named %q", nt.Name))
		}
		out[nt.Name] = nt.Tensor
	}
	return out
}

// CountParams returns the number of elements in m's parameters (trainable
// or frozen) and in its buffers.
func CountParams(m Module) (params, buffers int) {
	for _, nt := range Tensors(m) {
		if nt.Kind == Param {
			params += nt.Tensor.Numel()
		} else {
			buffers += nt.Tensor.Numel()
		}
	}
	return params, buffers
}

// ZeroGrad zeroes the gradients of all of m's parameters.
func ZeroGrad(m Module) {
	for _, nt := range Tensors(m) {
		nt.Tensor.ZeroGrad()
	}
}

// Freeze stops (or, with freeze false, restarts) gradients for all of m's
// parameters, e.g. to train a head on a frozen backbone.
func Freeze(m Module, freeze bool) {
	for _, nt := range Tensors(m) {
		if nt.Kind == Param {
			nt.Tensor.SetRequiresGrad(!freeze)
		}
	}
}

// visitParam and visitBuffer report a tensor if it is not nil (optional
// biases and affine weights).
func visitParam(fn func(string, *ag.Tensor, Kind), prefix, name string, t *ag.Tensor) {
	if t != nil {
		fn(Join(prefix, name), t, Param)
	}
}

func visitBuffer(fn func(string, *ag.Tensor, Kind), prefix, name string, t *ag.Tensor) {
	if t != nil {
		fn(Join(prefix, name), t, Buffer)
	}
}

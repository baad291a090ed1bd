package nn

import (
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

func TestSequentialNamesAndCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := Sequential{
		NewConv2d(rng, ConvSpec{In: 3, Out: 8, Kernel: 3, Stride: 2, Padding: 1}),
		NewBatchNorm2d(8, 1e-3, 0.1),
		Func(ag.SiLU),
		NewLinear(rng, 8, 4, true),
	}
	var names []string
	for _, nt := range Tensors(m) {
		names = append(names, nt.Name)
	}
	want := []string{"0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias"}
	if len(names) != len(want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("names %v, want %v", names, want)
		}
	}
	p, b := CountParams(m)
	if p != 8*3*9+8+8+8*4+4 || b != 8+8+1 {
		t.Fatalf("CountParams = %d, %d", p, b)
	}
	if n := len(Parameters(m)); n != 5 {
		t.Fatalf("%d trainable parameters, want 5", n)
	}
	Freeze(m, true)
	if n := len(Parameters(m)); n != 0 {
		t.Fatalf("%d trainable after Freeze", n)
	}
}

func TestConvSameAndMACs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c := NewConv2d(rng, ConvSpec{In: 4, Out: 6, Kernel: 3, Stride: 2, Padding: 1})
	if got := c.MACs(8, 8); got != 4*4*6*4*9 {
		t.Fatalf("MACs %d", got)
	}
	c.Same = true
	o := c.Opts(8, 8)
	if o.PadTop != 0 || o.PadBottom != 1 || o.PadLeft != 0 || o.PadRight != 1 {
		t.Fatalf("SAME padding for k3 s2 on 8: %+v", o)
	}
	y := c.Forward(Eval, ag.Zeros(1, 4, 8, 8))
	if !ag.SameShape(y.Shape, []int{1, 6, 4, 4}) || c.OutSize(8) != 4 {
		t.Fatalf("output %v", y.Shape)
	}
}

func TestBatchNormLayerTracksBatches(t *testing.T) {
	bn := NewBatchNorm2d(2, 1e-5, 0.1)
	x := ag.RandN(rand.New(rand.NewPCG(5, 6)), 3, 2, 2, 2)
	bn.Forward(Train(1), x)
	bn.Forward(Eval, x)
	if bn.NumBatchesTracked.Data[0] != 1 {
		t.Fatalf("num_batches_tracked = %v", bn.NumBatchesTracked.Data[0])
	}
	if bn.RunningMean.Data[0] == 0 {
		t.Fatal("running mean not updated in training")
	}
}

// The layers compose: a conv → BN → SiLU → linear stack passes a gradient
// check on its input and every parameter.
func TestLayerStackGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	conv := NewConv2d(rng, ConvSpec{In: 2, Out: 3, Kernel: 3, Padding: 1, Bias: true})
	bn := NewBatchNorm2d(3, 1e-5, 0.1)
	fc := NewLinear(rng, 3, 2, true)
	x := gradcheck.Rand(rng, 2, 2, 4, 4)
	inputs := []*ag.Tensor{x, conv.Weight, conv.Bias, bn.Weight, bn.Bias, fc.Weight, fc.Bias}
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		h := conv.Forward(Train(1), in[0])
		h = ag.SiLU(bn.Forward(Train(1), h))
		return fc.Forward(Eval, ag.GlobalAvgPool2d(h))
	}, inputs, gradcheck.Options{})
}

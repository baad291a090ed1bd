package models

import (
	"math"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
	"github.com/seed477ab429/multilabel/nn"
)

// Pooled heads: every pooling with both classifiers, gradient-checked.
func TestPooledHeadGrad(t *testing.T) {
	for _, pool := range []Pooling{PoolAvg, PoolMax, PoolAvgMax} {
		for _, cosine := range []bool{false, true} {
			rng := headRNG(2)
			h := NewPooledHead(rng, 4, 3, pool, cosine)
			x := headSpaced(rng, 2, 4, 2, 3)
			inputs := append([]*ag.Tensor{x}, headParamInputs(h)...)
			if err := gradcheck.Run(func(in []*ag.Tensor) *ag.Tensor {
				return h.Forward(nn.Eval, in[0])
			}, inputs, gradcheck.Options{}); err != nil {
				t.Errorf("%v cosine=%v: %v", pool, cosine, err)
			}
		}
	}
}

// The cosine classifier starts with unit-norm proxies and gives cosines:
// a feature parallel to proxy j scores 1 on j, and scaling a feature
// changes nothing.
func TestAngleSimpleLinear(t *testing.T) {
	rng := headRNG(3)
	a := NewAngleSimpleLinear(rng, 5, 3)
	for j := 0; j < 3; j++ {
		var s float64
		for i := 0; i < 5; i++ {
			v := float64(a.Weight.Data[i*3+j])
			s += v * v
		}
		if math.Abs(s-1) > 1e-5 {
			t.Errorf("proxy %d has squared norm %v", j, s)
		}
	}
	x := ag.Zeros(2, 5)
	for i := 0; i < 5; i++ {
		x.Data[i] = 3 * a.Weight.Data[i*3+1]
		x.Data[5+i] = 0.01 * a.Weight.Data[i*3+1]
	}
	c := a.Forward(nn.Eval, x)
	for b := 0; b < 2; b++ {
		if math.Abs(float64(c.Data[b*3+1])-1) > 1e-6 {
			t.Errorf("row %d: cosine to its own proxy %v", b, c.Data[b*3+1])
		}
		for j := 0; j < 3; j++ {
			if c.Data[b*3+j] > 1 || c.Data[b*3+j] < -1 {
				t.Errorf("cosine %v outside [-1, 1]", c.Data[b*3+j])
			}
		}
	}
	if math.Abs(float64(c.Data[0]-c.Data[3])) > 1e-6 {
		t.Errorf("scale changed the cosine: %v vs %v", c.Data[0], c.Data[3])
	}
}

func TestGlobalPoolAvgMax(t *testing.T) {
	x := ag.New([]float32{1, 2, 3, 6, -1, -2, -3, -6}, 1, 2, 2, 2)
	got := GlobalPool(x, PoolAvgMax).Data
	if got[0] != 3+6 || got[1] != -3+(-1) {
		t.Errorf("avg+max %v, want [9 -4]", got)
	}
	if _, err := ParsePooling("avg+max"); err != nil {
		t.Error(err)
	}
	if _, err := ParsePooling("mean"); err == nil {
		t.Error("unknown pooling accepted")
	}
}

// ML-GCN: W = gc2(LeakyReLU(gc1(X))) is the classifier of max-pooled
// features; the gradient reaches features, both layers; the frozen
// classifier gives the same logits.
func TestMLGCN(t *testing.T) {
	rng := headRNG(4)
	g, err := NewLabelGraph([][]int{{0, 1}, {1, 2}, {2}, {0}}, 3, DefaultTau, DefaultRho)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMLGCN(rng, 4, ag.RandN(rng, 3, 5).Data, 5, g)
	if err != nil {
		t.Fatal(err)
	}
	if m.GC1.Weight.Shape[1] != 2 || m.GC2.Weight.Shape[1] != 4 {
		t.Errorf("layer widths %v %v, want 5→2→4", m.GC1.Weight.Shape, m.GC2.Weight.Shape)
	}
	x := headSpaced(rng, 2, 4, 2, 2)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return m.Forward(nn.Train(1), in[0])
	}, []*ag.Tensor{x, m.GC1.Weight, m.GC2.Weight}, gradcheck.Options{})

	// Direct formula on one image.
	w := m.Classifier(nn.Eval)
	f := ag.GlobalMaxPool2d(x)
	y := m.Forward(nn.Eval, x)
	for b := 0; b < 2; b++ {
		for j := 0; j < 3; j++ {
			var s float32
			for c := 0; c < 4; c++ {
				s += f.Data[b*4+c] * w.Data[j*4+c]
			}
			if math.Abs(float64(s-y.Data[b*3+j])) > 1e-5 {
				t.Errorf("logit[%d][%d] = %v, f·w_j = %v", b, j, y.Data[b*3+j], s)
			}
		}
	}
	m.FreezeClassifier()
	y2 := m.Forward(nn.Eval, x)
	for i := range y.Data {
		if y.Data[i] != y2.Data[i] {
			t.Fatalf("frozen classifier changed logit %d: %v vs %v", i, y2.Data[i], y.Data[i])
		}
	}
	tr, fr := m.NumParams()
	if tr != 5*2+2*4 || fr != 3*5+3*3 {
		t.Errorf("params %d trainable, %d frozen", tr, fr)
	}
	if _, err := NewMLGCN(rng, 4, make([]float32, 7), 5, g); err == nil {
		t.Error("wrong embedding size accepted")
	}
}

package train

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

func loadTrainFixture(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile("testdata/train.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// OneCycle reproduces PyTorch's OneCycleLR lr and momentum at every step.
func TestOneCycleMatchesPyTorch(t *testing.T) {
	var f struct {
		MaxLR    float64 `json:"max_lr"`
		Total    int
		LR       []float64
		Momentum []float64
	}
	if err := json.Unmarshal(loadTrainFixture(t)["onecycle"], &f); err != nil {
		t.Fatal(err)
	}
	s := NewOneCycle(f.MaxLR, f.Total)
	for i := range f.LR {
		lr, m := s.At(i)
		if math.Abs(lr-f.LR[i]) > 1e-12*f.MaxLR+1e-15 || math.Abs(m-f.Momentum[i]) > 1e-12 {
			t.Fatalf("step %d: lr %.10g momentum %.10g, PyTorch %.10g %.10g", i, lr, m, f.LR[i], f.Momentum[i])
		}
	}
	if s.WarmupDone(10) || !s.WarmupDone(11) { // 0.2·57 − 1 = 10.4
		t.Fatal("warm-up flag at the wrong step")
	}
}

func TestOptimizersMatchPyTorch(t *testing.T) {
	fx := loadTrainFixture(t)
	for name, mk := range map[string]func([]Group) (Optimizer, float64, float64){
		"sgd":          func(g []Group) (Optimizer, float64, float64) { return NewSGD(g, false), 0.1, 0.9 },
		"sgd_nesterov": func(g []Group) (Optimizer, float64, float64) { return NewSGD(g, true), 0.1, 0.9 },
		"adamw":        func(g []Group) (Optimizer, float64, float64) { return NewAdamW(g), 0.01, 0 },
	} {
		var f struct {
			W0    []float32
			Grads [][]float32
			W     []float64
		}
		if err := json.Unmarshal(fx[name], &f); err != nil {
			t.Fatal(err)
		}
		w := ag.NewParam(append([]float32(nil), f.W0...), len(f.W0))
		wd := 0.01
		if name == "adamw" {
			wd = 0.1
		}
		groups := []Group{{Names: []string{"w"}, Params: []*ag.Tensor{w}, LRScale: 1, WeightDecay: wd}}
		opt, lr, mom := mk(groups)
		for _, g := range f.Grads {
			w.Grad = append([]float32(nil), g...)
			opt.Step(lr, mom)
		}
		for i := range f.W {
			if math.Abs(float64(w.Data[i])-f.W[i]) > 1e-6 {
				t.Fatalf("%s: weights %v, PyTorch %v", name, w.Data, f.W)
			}
		}
	}
}

type twoParams struct{ w, b, bn, q *ag.Tensor }

func (m *twoParams) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	fn(nn.Join(prefix, "conv.weight"), m.w, nn.Param)
	fn(nn.Join(prefix, "fc.bias"), m.b, nn.Param)
	fn(nn.Join(prefix, "bn.weight"), m.bn, nn.Param)
	fn(nn.Join(prefix, "head.query_embed.weight"), m.q, nn.Param)
}

func TestNoBiasDecayGroups(t *testing.T) {
	m := &twoParams{ag.Zeros(2, 2).AsParam(), ag.Zeros(2).AsParam(), ag.Zeros(2).AsParam(), ag.Zeros(3, 2).AsParam()}
	gs := NoBiasDecayGroups(nn.Parameters(m), 5e-4)
	got := map[string][2]float64{}
	for _, g := range gs {
		for _, n := range g.Names {
			got[n] = [2]float64{g.LRScale, g.WeightDecay}
		}
	}
	want := map[string][2]float64{
		"conv.weight":             {1, 5e-4},
		"fc.bias":                 {2, 0},
		"bn.weight":               {1, 0},
		"head.query_embed.weight": {1, 0},
	}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("%s: lr scale, decay %v, want %v", n, got[n], w)
		}
	}
}

// SAM on f(w) = ½ wᵀAw: the second gradient is taken at w + ρ·g/‖g‖ and
// the weights end at w − lr·A(w + e).
func TestSAMQuadratic(t *testing.T) {
	a := []float32{2, 0.5}
	w := ag.NewParam([]float32{1, -2}, 2)
	grad := func() {
		w.Grad = []float32{a[0] * w.Data[0], a[1] * w.Data[1]}
	}
	sam := NewSAM(NewSGD([]Group{{Names: []string{"w"}, Params: []*ag.Tensor{w}, LRScale: 1}}, false), 0.05, false)
	grad()
	g := []float64{2, -1}
	n := math.Hypot(g[0], g[1])
	e := []float64{0.05 * g[0] / n, 0.05 * g[1] / n}
	if !sam.FirstStep() {
		t.Fatal("finite gradients rejected")
	}
	for i := range e {
		if math.Abs(float64(w.Data[i])-([]float64{1, -2}[i]+e[i])) > 1e-6 {
			t.Fatalf("perturbed weights %v", w.Data)
		}
	}
	grad()
	sam.SecondStep(0.1, 0)
	for i, w0 := range []float64{1, -2} {
		want := w0 - 0.1*float64(a[i])*(w0+e[i])
		if math.Abs(float64(w.Data[i])-want) > 1e-6 {
			t.Fatalf("after SAM step w = %v, want %v at %d", w.Data, want, i)
		}
	}
	// Non-finite gradients: skip, weights untouched, grads zeroed.
	before := append([]float32(nil), w.Data...)
	w.Grad = []float32{float32(math.NaN()), 1}
	if sam.FirstStep() {
		t.Fatal("NaN gradient not rejected")
	}
	if w.Data[0] != before[0] || w.Grad[1] != 0 {
		t.Fatalf("skip changed weights %v or kept grads %v", w.Data, w.Grad)
	}
}

type vecModule struct{ p, buf *ag.Tensor }

func (m *vecModule) Visit(prefix string, fn func(string, *ag.Tensor, nn.Kind)) {
	fn(nn.Join(prefix, "w"), m.p, nn.Param)
	fn(nn.Join(prefix, "running_mean"), m.buf, nn.Buffer)
}

func TestEMA(t *testing.T) {
	m := &vecModule{ag.NewParam([]float32{0}, 1), ag.New([]float32{10}, 1)}
	e := NewEMA(m, 0.9, false)
	m.p.Data[0], m.buf.Data[0] = 1, 20
	e.Update(m)
	e.Update(m)
	// e = 0.9·(0.9·0 + 0.1) + 0.1 = 0.19; buffer 10 → 11 → 11.9
	st := e.State()
	if math.Abs(float64(st["w"].Data[0])-0.19) > 1e-6 || math.Abs(float64(st["running_mean"].Data[0])-11.9) > 1e-5 {
		t.Fatalf("EMA state %v %v", st["w"].Data, st["running_mean"].Data)
	}
	e.Swap(m)
	if math.Abs(float64(m.p.Data[0])-0.19) > 1e-6 {
		t.Fatal("Swap did not install the average")
	}
	e.Swap(m)
	if m.p.Data[0] != 1 {
		t.Fatal("second Swap did not restore the weights")
	}
	w := NewEMA(m, 0.9993, true)
	if d := w.DecayAt(0); math.Abs(d-0.1) > 1e-12 {
		t.Fatalf("warm-up decay at 0 = %v, want 0.1", d)
	}
	if d := w.DecayAt(100000); d != 0.9993 {
		t.Fatalf("decay after warm-up %v", d)
	}
}

func TestEarlyStoppingScripted(t *testing.T) {
	e := NewEarlyStopping(5)
	// Warm-up: no waiting even when not improving.
	for _, a := range []float64{0.3, 0.5, 0.4, 0.4} {
		if _, stop := e.Observe(a, false); stop {
			t.Fatal("stopped during warm-up")
		}
	}
	if e.Wait != 0 || e.Best != 0.5 {
		t.Fatalf("after warm-up wait %d best %v", e.Wait, e.Best)
	}
	// smooth = 0.8·0.5 + 0.2·(0.8·0.3) = 0.448. 0.44 does not beat it.
	stops := 0
	for i, a := range []float64{0.44, 0.44, 0.44, 0.44} {
		if _, stop := e.Observe(a, true); stop {
			t.Fatalf("stopped at %d", i)
		}
		stops = e.Wait
	}
	if stops != 4 {
		t.Fatalf("wait %d, want 4", stops)
	}
	// An improvement over the smoothed value resets the wait even if it
	// is not a new best.
	if best, _ := e.Observe(0.46, true); best || e.Wait != 0 {
		t.Fatalf("improvement over smooth: best %v wait %d", best, e.Wait)
	}
	for i := 0; i < 4; i++ {
		e.Observe(0.1, true)
	}
	if _, stop := e.Observe(0.1, true); !stop {
		t.Fatal("did not stop after 5 epochs without improvement")
	}
	if _, stop := NewEarlyStopping(5).Observe(0.99996, false); !stop {
		t.Fatal("did not stop at a perfect score")
	}
}

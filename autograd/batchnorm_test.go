package autograd_test

import (
	"math"
	"math/rand/v2"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/autograd/gradcheck"
)

// batchnormRef is BatchNorm in training mode with plain float64 loops over
// x [N, C, HW]: the output and the updated running statistics.
func batchnormRef(x, w, b, rm, rv []float32, n, c, hw int, mom, eps float64) (y, newMean, newVar []float32) {
	y = make([]float32, len(x))
	newMean, newVar = make([]float32, c), make([]float32, c)
	m := float64(n * hw)
	for ch := 0; ch < c; ch++ {
		var mu, ss float64
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				mu += float64(x[(i*c+ch)*hw+j])
			}
		}
		mu /= m
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				d := float64(x[(i*c+ch)*hw+j]) - mu
				ss += d * d
			}
		}
		for i := 0; i < n; i++ {
			for j := 0; j < hw; j++ {
				k := (i*c+ch)*hw + j
				y[k] = float32((float64(x[k])-mu)/math.Sqrt(ss/m+eps)*float64(w[ch]) + float64(b[ch]))
			}
		}
		newMean[ch] = float32((1-mom)*float64(rm[ch]) + mom*mu)
		newVar[ch] = float32((1-mom)*float64(rv[ch]) + mom*ss/(m-1))
	}
	return y, newMean, newVar
}

func TestBatchNorm2dForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	x := ag.RandU(rng, -1, 3, 4, 3, 2, 5)
	w := ag.RandU(rng, -1, 1, 3)
	b := ag.RandU(rng, -1, 1, 3)
	rm := ag.RandU(rng, -1, 1, 3)
	rv := ag.RandU(rng, 0.5, 2, 3)
	wantY, wantM, wantV := batchnormRef(x.Data, w.Data, b.Data, rm.Data, rv.Data, 4, 3, 10, 0.1, 1e-5)
	y := ag.BatchNorm2d(x, ag.BatchNormOpts{Weight: w, Bias: b, RunningMean: rm, RunningVar: rv, Training: true, Momentum: 0.1, Eps: 1e-5})
	assertClose(t, "BatchNorm2d train y", y.Data, wantY, 1e-5)
	assertClose(t, "BatchNorm2d running mean", rm.Data, wantM, 1e-6)
	assertClose(t, "BatchNorm2d running var", rv.Data, wantV, 1e-6)

	// Eval: y = (x − rm)/√(rv + eps)·w + b with the updated statistics,
	// which it leaves exactly as they are.
	trainedM := append([]float32(nil), rm.Data...)
	y = ag.BatchNorm2d(x, ag.BatchNormOpts{Weight: w, Bias: b, RunningMean: rm, RunningVar: rv, Momentum: 0.1, Eps: 1e-5})
	want := make([]float32, len(x.Data))
	for k, v := range x.Data {
		ch := (k / 10) % 3
		want[k] = float32((float64(v)-float64(rm.Data[ch]))/math.Sqrt(float64(rv.Data[ch])+1e-5)*float64(w.Data[ch]) + float64(b.Data[ch]))
	}
	assertClose(t, "BatchNorm2d eval y", y.Data, want, 1e-5)
	assertClose(t, "eval leaves running mean", rm.Data, trainedM, 0)
}

func TestBatchNorm2dGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 2))
	x := gradcheck.Rand(rng, 3, 2, 2, 3)
	w := gradcheck.Param(rng, 2)
	b := gradcheck.Param(rng, 2)
	rm := ag.RandU(rng, -0.5, 0.5, 2)
	rv := ag.RandU(rng, 0.5, 1.5, 2)
	// Training: the running statistics change on every call but do not
	// affect the output, so f stays a function of its inputs.
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return ag.BatchNorm2d(in[0], ag.BatchNormOpts{Weight: in[1], Bias: in[2], RunningMean: rm, RunningVar: rv, Training: true, Momentum: 0.1, Eps: 1e-5})
	}, []*ag.Tensor{x, w, b}, gradcheck.Options{})
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return ag.BatchNorm2d(in[0], ag.BatchNormOpts{Training: true, Momentum: 0.1, Eps: 1e-5})
	}, []*ag.Tensor{x}, gradcheck.Options{})
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return ag.BatchNorm2d(in[0], ag.BatchNormOpts{Weight: in[1], Bias: in[2], RunningMean: rm, RunningVar: rv, Momentum: 0.1, Eps: 1e-5})
	}, []*ag.Tensor{x, w, b}, gradcheck.Options{})
}

func TestBatchNorm1d(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 3))
	x := gradcheck.Rand(rng, 5, 3)
	w := gradcheck.Param(rng, 3)
	b := gradcheck.Param(rng, 3)
	rm, rv := ag.Zeros(3), ag.Ones(3)
	wantY, wantM, wantV := batchnormRef(x.Data, w.Data, b.Data, rm.Data, rv.Data, 5, 3, 1, 0.1, 1e-5)
	y := ag.BatchNorm1d(x, ag.BatchNormOpts{Weight: w, Bias: b, RunningMean: rm, RunningVar: rv, Training: true, Momentum: 0.1, Eps: 1e-5})
	assertClose(t, "BatchNorm1d y", y.Data, wantY, 1e-5)
	assertClose(t, "BatchNorm1d running mean", rm.Data, wantM, 1e-6)
	assertClose(t, "BatchNorm1d running var", rv.Data, wantV, 1e-6)
	gradcheck.Check(t, func(in []*ag.Tensor) *ag.Tensor {
		return ag.BatchNorm1d(in[0], ag.BatchNormOpts{Weight: in[1], Bias: in[2], Training: true, Momentum: 0.1, Eps: 1e-5})
	}, []*ag.Tensor{x, w, b}, gradcheck.Options{})
	shapeExpectPanic(t, func() {
		ag.BatchNorm1d(ag.Zeros(2, 3, 4, 5), ag.BatchNormOpts{Training: true, Momentum: 0.1, Eps: 1e-5})
	}, "BatchNorm1d", "[2 3 4 5]")
}

func TestBatchNorm2dShapeErrors(t *testing.T) {
	x := ag.Zeros(2, 3, 4, 4)
	shapeExpectPanic(t, func() {
		ag.BatchNorm2d(x, ag.BatchNormOpts{Weight: ag.Zeros(4), Training: true, Momentum: 0.1, Eps: 1e-5})
	}, "BatchNorm2d", "[2 3 4 4]", "[4]")
	shapeExpectPanic(t, func() { ag.BatchNorm2d(x, ag.BatchNormOpts{Momentum: 0.1, Eps: 1e-5}) }, "BatchNorm2d", "running")
	shapeExpectPanic(t, func() { ag.BatchNorm2d(ag.Zeros(1, 3), ag.BatchNormOpts{Training: true, Momentum: 0.1, Eps: 1e-5}) }, "BatchNorm2d", "[1 3]")
}

// Against PyTorch: nn.BatchNorm2d(4, eps=1e-5, momentum=0.1) in train mode
// (output, running statistics after one step, gradients), then in eval
// mode with the updated statistics.
func TestBatchNorm2dTorch(t *testing.T) {
	f := loadFixture(t, "batchnorm")
	x := f.get(t, "x").SetRequiresGrad(true)
	w := f.get(t, "weight").AsParam()
	b := f.get(t, "bias").AsParam()
	rm := f.get(t, "running_mean")
	rv := f.get(t, "running_var")
	gy := f.get(t, "gy").Data

	y := ag.BatchNorm2d(x, ag.BatchNormOpts{Weight: w, Bias: b, RunningMean: rm, RunningVar: rv, Training: true, Momentum: 0.1, Eps: 1e-5})
	assertClose(t, "train y", y.Data, f.get(t, "train_y").Data, 1e-5)
	assertClose(t, "train running_mean", rm.Data, f.get(t, "train_running_mean").Data, 1e-6)
	assertClose(t, "train running_var", rv.Data, f.get(t, "train_running_var").Data, 1e-6)
	y.BackwardWith(gy)
	assertClose(t, "train gx", x.Grad, f.get(t, "train_gx").Data, 1e-5)
	assertClose(t, "train gw", w.Grad, f.get(t, "train_gw").Data, 1e-5)
	assertClose(t, "train gb", b.Grad, f.get(t, "train_gb").Data, 1e-5)

	x.Grad, w.Grad, b.Grad = nil, nil, nil
	y = ag.BatchNorm2d(x, ag.BatchNormOpts{Weight: w, Bias: b, RunningMean: rm, RunningVar: rv, Momentum: 0.1, Eps: 1e-5})
	assertClose(t, "eval y", y.Data, f.get(t, "eval_y").Data, 1e-5)
	y.BackwardWith(gy)
	assertClose(t, "eval gx", x.Grad, f.get(t, "eval_gx").Data, 1e-5)
	assertClose(t, "eval gw", w.Grad, f.get(t, "eval_gw").Data, 1e-5)
	assertClose(t, "eval gb", b.Grad, f.get(t, "eval_gb").Data, 1e-5)
}

// Many channels, enough work to split over workers: the parallel loops
// must give the same result as the reference.
func TestBatchNorm2dParallel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 4))
	n, c, hw := 8, 64, 64 // grain 16384/(8·64) = 32 channels: 2 chunks
	x := ag.RandU(rng, -1, 2, n, c, 8, 8)
	w := ag.RandU(rng, -1, 1, c)
	b := ag.RandU(rng, -1, 1, c)
	rm, rv := ag.Zeros(c), ag.Ones(c)
	wantY, wantM, wantV := batchnormRef(x.Data, w.Data, b.Data, rm.Data, rv.Data, n, c, hw, 0.1, 1e-3)
	y := ag.BatchNorm2d(x, ag.BatchNormOpts{Weight: w, Bias: b, RunningMean: rm, RunningVar: rv, Training: true, Momentum: 0.1, Eps: 1e-3})
	assertClose(t, "y", y.Data, wantY, 1e-5)
	assertClose(t, "running mean", rm.Data, wantM, 1e-6)
	assertClose(t, "running var", rv.Data, wantV, 1e-6)
}

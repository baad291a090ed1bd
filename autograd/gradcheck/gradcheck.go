// Package gradcheck verifies backward rules against central finite
// differences. Every differentiable op, layer, head and loss of the project
// is tested with Check.
//
// The scalar checked is L = Σ out ⊙ R, where R is a fixed, non-uniform
// random tensor (so every output element, with a different weight, takes
// part, and a backward that mixes up elements is caught). The analytic
// gradient comes from out.BackwardWith(R); the numeric one from
//
//	∂L/∂x_i ≈ (L(x_i + ε) − L(x_i − ε)) / 2ε
//
// with L accumulated in float64. Every input that requires a gradient
// (activations and parameters alike) is checked, on all elements or a
// random sample of MaxElems of them.
package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/seed477ab429/multilabel/autograd"
)

// Options tune a check. The zero value gives the defaults.
type Options struct {
	// Eps is the finite-difference step (default 1e-3). The forward runs in
	// float32, so the numeric estimate carries a rounding error of about
	// ulp(L)/ε; 1e-3 balances it against the O(ε²) truncation error for
	// inputs of order 1.
	Eps float64
	// Atol and Rtol: an element passes when |analytic − numeric| <=
	// Atol + Rtol·max(|analytic|, |numeric|). Defaults 1e-3 and 1e-2:
	// float32 rounding noise in L, divided by 2ε, reaches about 1e-4..1e-3
	// for outputs of a few thousand elements; a wrong rule is off by O(1).
	Atol, Rtol float64
	// MaxElems caps the elements checked per input (default 64); larger
	// inputs are sampled at random.
	MaxElems int
	// Seed fixes R and the sample (default 1).
	Seed uint64
}

func (o *Options) defaults() {
	if o.Eps == 0 {
		o.Eps = 1e-3
	}
	if o.Atol == 0 {
		o.Atol = 1e-3
	}
	if o.Rtol == 0 {
		o.Rtol = 1e-2
	}
	if o.MaxElems == 0 {
		o.MaxElems = 64
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// Check runs f on inputs, back-propagates a random projection of its
// output, and compares the gradient of every input that requires one with
// central differences. f must be deterministic (ops with randomness take a
// fresh RNG with a fixed seed inside f) and must read its inputs' Data
// anew on every call. Failures are reported through t.
func Check(t testing.TB, f func(in []*autograd.Tensor) *autograd.Tensor, inputs []*autograd.Tensor, opt Options) {
	t.Helper()
	if err := Run(f, inputs, opt); err != nil {
		t.Error(err)
	}
}

// Run is Check returning an error instead of reporting to a testing.TB.
func Run(f func(in []*autograd.Tensor) *autograd.Tensor, inputs []*autograd.Tensor, opt Options) error {
	opt.defaults()
	rng := rand.New(rand.NewPCG(opt.Seed, 7))

	for _, x := range inputs {
		x.Grad = nil
	}
	out := f(inputs)
	if !out.RequiresGrad() {
		return fmt.Errorf("gradcheck: output of %s does not require a gradient", out.Op())
	}
	// R: magnitudes in [0.5, 1.5), random signs: non-uniform, no zeros.
	r := make([]float32, out.Numel())
	for i := range r {
		v := 0.5 + rng.Float32()
		if rng.IntN(2) == 0 {
			v = -v
		}
		r[i] = v
	}
	out.BackwardWith(r)

	loss := func() float64 {
		var s float64
		autograd.NoGrad(func() {
			o := f(inputs)
			for i, v := range o.Data {
				s += float64(v) * float64(r[i])
			}
		})
		return s
	}

	var errs []string
	for xi, x := range inputs {
		if !x.RequiresGrad() {
			continue
		}
		if x.Grad == nil {
			errs = append(errs, fmt.Sprintf("input %d %v: no gradient reached it", xi, x.Shape))
			continue
		}
		idx := sample(rng, x.Numel(), opt.MaxElems)
		for _, i := range idx {
			orig := x.Data[i]
			// Step in float32 exactly as the forward sees it.
			xp := float32(float64(orig) + opt.Eps)
			xm := float32(float64(orig) - opt.Eps)
			x.Data[i] = xp
			lp := loss()
			x.Data[i] = xm
			lm := loss()
			x.Data[i] = orig
			num := (lp - lm) / (float64(xp) - float64(xm))
			ana := float64(x.Grad[i])
			diff := math.Abs(ana - num)
			tol := opt.Atol + opt.Rtol*math.Max(math.Abs(ana), math.Abs(num))
			if math.IsNaN(diff) || diff > tol {
				errs = append(errs, fmt.Sprintf("input %d %v element %d: analytic %.6g numeric %.6g (|diff| %.3g > tol %.3g)", xi, x.Shape, i, ana, num, diff, tol))
			}
		}
	}
	if len(errs) > 0 {
		if len(errs) > 8 {
			errs = append(errs[:8], fmt.Sprintf("... and %d more", len(errs)-8))
		}
		msg := "gradcheck: " + out.Op() + ":"
		for _, e := range errs {
			msg += "\n\t" + e
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// sample returns min(n, k) distinct indices in [0, n), sorted.
func sample(rng *rand.Rand, n, k int) []int {
	if n <= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	idx := rng.Perm(n)[:k]
	sort.Ints(idx)
	return idx
}

// Rand returns a tensor uniform in [-1, 1) that requires a gradient.
func Rand(rng *rand.Rand, shape ...int) *autograd.Tensor {
	return autograd.RandU(rng, -1, 1, shape...).SetRequiresGrad(true)
}

// Param returns a uniform [-1, 1) tensor marked as a parameter.
func Param(rng *rand.Rand, shape ...int) *autograd.Tensor {
	return autograd.RandU(rng, -1, 1, shape...).AsParam()
}

// Distinct returns a tensor (requiring a gradient) whose values are a
// random permutation of evenly spaced points in [-1, 1], at least
// 2/numel apart, so max/min/sort-based ops have no ties and an ε-step
// never reorders elements. Use with Eps well below the spacing.
func Distinct(rng *rand.Rand, shape ...int) *autograd.Tensor {
	t := autograd.Zeros(shape...)
	n := t.Numel()
	for i, p := range rng.Perm(n) {
		if n == 1 {
			t.Data[i] = 0.5
			continue
		}
		t.Data[i] = -1 + 2*float32(p)/float32(n-1)
	}
	return t.SetRequiresGrad(true)
}

// AwayFrom moves every element of t that lies within margin of one of the
// kink points (0 for ReLU, the clamp bounds, ...) to a distance margin from
// it, so finite differences never straddle a kink. It returns t.
func AwayFrom(t *autograd.Tensor, margin float32, kinks ...float32) *autograd.Tensor {
	for i, v := range t.Data {
		for _, k := range kinks {
			if d := v - k; d > -margin && d < margin {
				if d >= 0 {
					v = k + margin
				} else {
					v = k - margin
				}
			}
		}
		t.Data[i] = v
	}
	return t
}

package augment

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// Randomness: determinism per seed, fire rates, the policy distribution and
// the magnitude ranges. Every test uses a fixed seed, so it is deterministic;
// the tolerances are 4-5 binomial standard deviations.

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// testImage is a 24x20 image with texture, so every op changes something.
func testImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 24, 20))
	r := newRNG(1)
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	return img
}

func TestMagnitudeRanges(t *testing.T) {
	ends := []struct {
		op        Op
		at0, at9  float64
		monotonic int // +1 increasing, -1 decreasing (non-strict)
	}{
		{OpShearX, 0, 0.3, 1}, {OpShearY, 0, 0.3, 1},
		{OpTranslateX, 0, 150.0 / 331.0, 1}, {OpTranslateY, 0, 150.0 / 331.0, 1},
		{OpRotate, 0, 30, 1},
		{OpColor, 0, 0.9, 1}, {OpContrast, 0, 0.9, 1}, {OpSharpness, 0, 0.9, 1}, {OpBrightness, 0, 0.9, 1},
		{OpSolarize, 256, 0, -1}, {OpPosterize, 8, 4, -1}, {OpCutout, 0, 20, 1},
		{OpAutoContrast, 0, 0, 1}, {OpEqualize, 0, 0, 1}, {OpInvert, 0, 0, 1},
	}
	if len(ends) != NumOps {
		t.Fatalf("table covers %d ops, want %d", len(ends), NumOps)
	}
	for _, e := range ends {
		if got := Magnitude(e.op, 0); got != e.at0 {
			t.Errorf("%s level 0 = %v, want %v", e.op, got, e.at0)
		}
		if got := Magnitude(e.op, 9); got != e.at9 {
			t.Errorf("%s level 9 = %v, want %v", e.op, got, e.at9)
		}
		for l := 1; l < NumLevels; l++ {
			d := Magnitude(e.op, l) - Magnitude(e.op, l-1)
			if float64(e.monotonic)*d < 0 {
				t.Errorf("%s not monotonic at level %d", e.op, l)
			}
		}
	}
	// Linear tables: level l is l/9 of the way (to rounding).
	for l := 0; l < NumLevels; l++ {
		if d := Magnitude(OpRotate, l) - 30*float64(l)/9; math.Abs(d) > 1e-12 {
			t.Errorf("rotate level %d off by %g", l, d)
		}
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Magnitude(level 10) did not panic")
		}
	}()
	Magnitude(OpRotate, 10)
}

func TestDeterministicPerSeed(t *testing.T) {
	img := testImage()
	tr := Train(DefaultTrainOptions())
	distinct := map[string]bool{}
	for seed := uint64(0); seed < 40; seed++ {
		a := tr(img, newRNG(seed))
		b := tr(img, newRNG(seed))
		if string(a.Pix) != string(b.Pix) {
			t.Fatalf("seed %d: two runs differ", seed)
		}
		distinct[string(a.Pix)] = true
	}
	// 40 seeds give many different results (a few may coincide, e.g. nothing fired).
	if len(distinct) < 25 {
		t.Errorf("only %d distinct outputs over 40 seeds", len(distinct))
	}
	if string(img.Pix) != string(testImage().Pix) {
		t.Errorf("Train modified its input")
	}
}

func TestSamplePolicyUniform(t *testing.T) {
	rng := newRNG(7)
	const n = 30000
	var ops [2][NumOps]int
	var levels [2][NumLevels]int
	same := 0
	for i := 0; i < n; i++ {
		p := SamplePolicy(rng)
		for j, s := range p {
			if s.Level < 1 || s.Level > 9 || s.Op < 0 || s.Op >= NumOps {
				t.Fatalf("bad step %+v", s)
			}
			ops[j][s.Op]++
			levels[j][s.Level]++
		}
		if p[0] == p[1] {
			same++
		}
	}
	check := func(what string, count int, p float64) {
		mean, sd := n*p, math.Sqrt(n*p*(1-p))
		if math.Abs(float64(count)-mean) > 5*sd {
			t.Errorf("%s: %d draws, expected %.0f ± %.0f", what, count, mean, sd)
		}
	}
	for j := 0; j < 2; j++ {
		for o := 0; o < NumOps; o++ {
			check(Op(o).String(), ops[j][o], 1.0/NumOps)
		}
		for l := 1; l < NumLevels; l++ {
			check("level", levels[j][l], 1.0/9)
		}
	}
	// Drawn with replacement: the same item twice has probability 1/135.
	check("same item twice", same, 1.0/135)
}

func TestRandAugmentFireRate(t *testing.T) {
	rng := newRNG(11)
	img := testImage()
	const n = 4000
	fired, none := 0, 0
	count := func(in *image.RGBA, op Op, level int, rng *rand.Rand) *image.RGBA {
		fired++
		return Clone(in)
	}
	for i := 0; i < n; i++ {
		before := fired
		runPolicy(img, rng, count)
		if fired == before {
			none++
		}
	}
	// Each of 2 steps fires with p 0.5: 2n*0.5 fires, none fires with p 0.25.
	if mean, sd := float64(n), math.Sqrt(2*n*0.25); math.Abs(float64(fired)-mean) > 5*sd {
		t.Errorf("steps fired %d times over %d images, expected %.0f ± %.0f", fired, n, mean, sd)
	}
	if mean, sd := n*0.25, math.Sqrt(n*0.25*0.75); math.Abs(float64(none)-mean) > 5*sd {
		t.Errorf("no step fired on %d of %d images, expected %.0f ± %.0f", none, n, mean, sd)
	}
	// The real transform returns its input exactly when nothing fired.
	unchanged := 0
	for i := 0; i < 1000; i++ {
		if RandAugment(img, rng) == img {
			unchanged++
		}
	}
	if mean, sd := 250.0, math.Sqrt(1000*0.25*0.75); math.Abs(float64(unchanged)-mean) > 5*sd {
		t.Errorf("RandAugment left %d of 1000 images untouched, expected %.0f ± %.0f", unchanged, mean, sd)
	}
}

func TestSignsAreFair(t *testing.T) {
	// Brightness at level 9 is factor 1.9 or 0.1: a mid-grey image gets
	// brighter or darker with probability 1/2 each.
	img := grey(2, 2, 100, 100, 100, 100)
	rng := newRNG(3)
	const n = 2000
	brighter := 0
	for i := 0; i < n; i++ {
		v := ApplyOp(img, OpBrightness, 9, rng).Pix[0]
		switch v {
		case 190:
			brighter++
		case 10:
		default:
			t.Fatalf("brightness level 9 gave %d, want 190 or 10", v)
		}
	}
	if sd := math.Sqrt(n * 0.25); math.Abs(float64(brighter)-n/2) > 5*sd {
		t.Errorf("brighter %d of %d", brighter, n)
	}
	// Rotate is unsigned: the same image every time.
	a := ApplyOp(testImage(), OpRotate, 5, rng)
	for i := 0; i < 20; i++ {
		if string(ApplyOp(testImage(), OpRotate, 5, rng).Pix) != string(a.Pix) {
			t.Fatalf("rotate varies between calls")
		}
	}
}

func TestCutoutAndFlipRates(t *testing.T) {
	img := testImage()
	rng := newRNG(5)
	const n = 3000
	cut, flip := RandomCutout(0.5, 0.4), RandomHorizontalFlip(0.5)
	nc, nf := 0, 0
	for i := 0; i < n; i++ {
		if out := cut(img, rng); out != img {
			nc++
			// side int(0.4*24 + 0.5) = 10 across: the box is at most 11 x 9 (2*(8/2)+1 = 9 rows).
			changed := 0
			for p := 0; p < len(out.Pix); p += 4 {
				if out.Pix[p] != img.Pix[p] || out.Pix[p+1] != img.Pix[p+1] || out.Pix[p+2] != img.Pix[p+2] {
					changed++
				}
			}
			if changed > 11*9 {
				t.Fatalf("cutout changed %d pixels, more than 11x9", changed)
			}
		}
		if flip(img, rng) != img {
			nf++
		}
	}
	sd := math.Sqrt(n * 0.25)
	if math.Abs(float64(nc)-n/2) > 5*sd {
		t.Errorf("cutout fired %d of %d", nc, n)
	}
	if math.Abs(float64(nf)-n/2) > 5*sd {
		t.Errorf("flip fired %d of %d", nf, n)
	}
	// p 0 never fires, p 1 always.
	if RandomCutout(0, 0.4)(img, rng) != img || RandomHorizontalFlip(0)(img, rng) != img {
		t.Errorf("p = 0 fired")
	}
	if RandomCutout(1, 0.4)(img, rng) == img || RandomHorizontalFlip(1)(img, rng) == img {
		t.Errorf("p = 1 did not fire")
	}
}

func TestComposeOrder(t *testing.T) {
	img := grey(3, 1, 10, 20, 30)
	add := func(v byte) Transform {
		return func(in *image.RGBA, _ *rand.Rand) *image.RGBA {
			out := Clone(in)
			for i := 0; i < len(out.Pix); i += 4 {
				out.Pix[i] = out.Pix[i]*2 + v
			}
			return out
		}
	}
	// (x*2 + 1)*2 + 5, not (x*2 + 5)*2 + 1.
	got := reds(Compose(add(1), nil, add(5))(img, newRNG(0)))
	wantBytes(t, "Compose", got, []byte{47, 87, 127})
	if Compose()(img, newRNG(0)) != img {
		t.Errorf("empty Compose is not the identity")
	}
	if Train(TrainOptions{})(img, newRNG(0)) != img {
		t.Errorf("zero TrainOptions is not the identity")
	}
}

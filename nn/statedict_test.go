package nn

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/autograd"
)

func TestStateDictBasics(t *testing.T) {
	sd := NewStateDict()
	sd.Set("z", autograd.Zeros(2))
	sd.Set("a", autograd.Ones(3))
	sd.Set("m", autograd.Zeros(1))
	if !slices.Equal(sd.Names(), []string{"z", "a", "m"}) || sd.Len() != 3 {
		t.Fatalf("names %v", sd.Names())
	}
	sd.Set("z", autograd.Ones(4)) // replace keeps the position
	if !slices.Equal(sd.Names(), []string{"z", "a", "m"}) || sd.Get("z").Numel() != 4 || sd.Get("z").Name != "z" {
		t.Fatalf("after replace: %v %v", sd.Names(), sd.Get("z"))
	}
	if !sd.Delete("a") || sd.Delete("a") || sd.Get("a") != nil || sd.Len() != 2 || sd.DType("a") != "" {
		t.Fatalf("delete: %v", sd.Names())
	}
	names := sd.Names()
	names[0] = "changed"
	if sd.Names()[0] != "z" {
		t.Fatal("Names returned the internal slice")
	}
	fm := FromTensors(map[string]*autograd.Tensor{"b": autograd.Zeros(1), "a": autograd.Zeros(1)})
	if !slices.Equal(fm.Names(), []string{"a", "b"}) {
		t.Fatalf("FromTensors order %v", fm.Names())
	}
}

func TestApplyRenames(t *testing.T) {
	sd, err := LoadWeights("testdata/tiny.pth")
	if err != nil {
		t.Fatal(err)
	}
	sd.Metadata["k"] = "v"
	out, err := ApplyRenames(sd, func(n string) (string, bool) {
		if strings.HasPrefix(n, "shared.") {
			return "", false
		}
		return "backbone." + n, true
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range sd.Names() {
		if !strings.HasPrefix(n, "shared.") {
			want = append(want, "backbone."+n)
		}
	}
	if !slices.Equal(out.Names(), want) {
		t.Fatalf("renamed %v, want %v", out.Names(), want)
	}
	if out.DType("backbone.half") != F16 || out.Get("backbone.conv.bias").Data[0] != sd.Get("conv.bias").Data[0] ||
		out.Metadata["k"] != "v" {
		t.Error("dtype, data or metadata lost in the rename")
	}
	_, err = ApplyRenames(sd, func(n string) (string, bool) {
		return strings.TrimSuffix(strings.TrimSuffix(n, ".weight"), ".bias"), true
	})
	if err == nil || !strings.Contains(err.Error(), `"conv.weight" and "conv.bias" both map to "conv"`) {
		t.Errorf("collision: %v", err)
	}
}

func TestLoadInto(t *testing.T) {
	src := NewStateDict()
	src.Set("conv.weight", autograd.New([]float32{1, 2, 3, 4}, 2, 2))
	src.Set("bn.bias", autograd.New([]float32{5, 6}, 2))
	src.Set("fc.weight", autograd.New([]float32{7, 8, 9}, 3))
	src.Set("extra.x", autograd.New([]float32{0}, 1))
	model := func() map[string]*autograd.Tensor {
		return map[string]*autograd.Tensor{
			"conv.weight": autograd.Zeros(2, 2),
			"bn.bias":     autograd.Zeros(2),
			"fc.weight":   autograd.Zeros(2),
			"bn.weight":   autograd.Zeros(2),
			"head.bias":   autograd.Zeros(1),
		}
	}

	// Strict: everything is reported and nothing is copied.
	dst := model()
	err := LoadInto(dst, src, true)
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("strict load: %v", err)
	}
	if !slices.Equal(le.Missing, []string{"bn.weight", "head.bias"}) || !slices.Equal(le.Unexpected, []string{"extra.x"}) ||
		len(le.Mismatched) != 1 || le.Mismatched[0].Name != "fc.weight" ||
		!slices.Equal(le.Mismatched[0].File, []int{3}) || !slices.Equal(le.Mismatched[0].Model, []int{2}) {
		t.Fatalf("report %+v", le)
	}
	for _, s := range []string{"missing 2: bn.weight, head.bias", "unexpected 1: extra.x", "fc.weight (file [3], model [2])"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if dst["conv.weight"].Data[0] != 0 {
		t.Error("a failed strict load copied data")
	}

	// Lenient: a shape mismatch still fails (as in PyTorch) ...
	if err := LoadInto(dst, src, false); !errors.As(err, &le) || len(le.Mismatched) != 1 || len(le.Missing) != 0 {
		t.Fatalf("lenient with mismatch: %v", err)
	}
	// ... and with the mismatched head dropped, the rest loads.
	noHead, err := ApplyRenames(src, func(n string) (string, bool) { return n, !strings.HasPrefix(n, "fc.") })
	if err != nil {
		t.Fatal(err)
	}
	if err := LoadInto(dst, noHead, false); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dst["conv.weight"].Data, []float32{1, 2, 3, 4}) || !slices.Equal(dst["bn.bias"].Data, []float32{5, 6}) ||
		!slices.Equal(dst["fc.weight"].Data, []float32{0, 0}) {
		t.Errorf("lenient load copied %v %v %v", dst["conv.weight"].Data, dst["bn.bias"].Data, dst["fc.weight"].Data)
	}
	if e := CheckLoad(dst, noHead); e == nil || len(e.Missing) != 3 {
		t.Errorf("CheckLoad after lenient load: %+v", e)
	}

	// An exact match loads strictly; CheckLoad is then nil.
	exact := map[string]*autograd.Tensor{"conv.weight": autograd.Zeros(2, 2), "bn.bias": autograd.Zeros(2)}
	two, _ := ApplyRenames(src, func(n string) (string, bool) { _, ok := exact[n]; return n, ok })
	if err := LoadInto(exact, two, true); err != nil || CheckLoad(exact, two) != nil {
		t.Fatalf("exact load: %v", err)
	}
	if exact["bn.bias"].Data[1] != 6 {
		t.Error("exact load did not copy")
	}
}

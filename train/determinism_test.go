package train

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/seed477ab429/multilabel/augment"
	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/losses"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
	"github.com/seed477ab429/multilabel/ops"
)

// The same numbers for any thread count: a run's losses, weights and
// metrics do not depend on GOMAXPROCS, because every reduction and GEMM has
// an order fixed by the shapes alone (README, "Reproducibility"). The test
// binary runs itself once per GOMAXPROCS value (the ops worker pool and the
// loader's decoding goroutines are sized from it at start), each child
// trains the same small but complete recipe and prints its fingerprint, and
// the fingerprints must be equal.

// determinismChildEnv, when set, makes TestDeterminismAcrossThreads the
// child: train, print the fingerprint as one JSON line, and stop.
const determinismChildEnv = "MULTILABEL_DETERMINISM_CHILD"

// fingerprint is what a run must reproduce bit for bit.
type fingerprint struct {
	Threads int       `json:"threads"` // ops.Threads() in the child (not compared)
	Losses  []float64 `json:"losses"`  // every step's training loss
	MAP     []float64 `json:"map"`     // per epoch: raw and EMA validation mAP
	Weights string    `json:"weights"` // SHA-256 of every parameter and buffer, in Visit order
}

func TestDeterminismAcrossThreads(t *testing.T) {
	if os.Getenv(determinismChildEnv) == "1" {
		fp := determinismRun(t)
		b, _ := json.Marshal(fp)
		fmt.Printf("FINGERPRINT %s\n", b)
		return
	}
	if testing.Short() {
		t.Skip("trains three times")
	}
	if raceBuild() {
		t.Skip("three training runs under the race detector take minutes; the plain build checks this")
	}
	var ref fingerprint
	for i, procs := range []int{1, 2, 4} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDeterminismAcrossThreads$", "-test.count=1")
		cmd.Env = append(os.Environ(), determinismChildEnv+"=1", fmt.Sprintf("GOMAXPROCS=%d", procs))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child with GOMAXPROCS=%d: %v\n%s", procs, err, out)
		}
		i0 := bytes.Index(out, []byte("FINGERPRINT "))
		if i0 < 0 {
			t.Fatalf("child with GOMAXPROCS=%d printed no fingerprint:\n%s", procs, out)
		}
		line, _, _ := bytes.Cut(out[i0+len("FINGERPRINT "):], []byte("\n"))
		var fp fingerprint
		if err := json.Unmarshal(line, &fp); err != nil {
			t.Fatalf("child with GOMAXPROCS=%d: %v in %q", procs, err, line)
		}
		if fp.Threads != procs {
			t.Fatalf("child with GOMAXPROCS=%d ran %d ops threads", procs, fp.Threads)
		}
		if i == 0 {
			ref = fp
			t.Logf("GOMAXPROCS=1: %d steps, final loss %v, mAP %v, weights %s", len(fp.Losses), fp.Losses[len(fp.Losses)-1], fp.MAP, fp.Weights[:16])
			continue
		}
		for s := range ref.Losses {
			if s >= len(fp.Losses) || math.Float64bits(fp.Losses[s]) != math.Float64bits(ref.Losses[s]) {
				t.Fatalf("GOMAXPROCS=%d: step %d loss differs from GOMAXPROCS=1: %v vs %v", procs, s+1, fp.Losses, ref.Losses)
			}
		}
		if fmt.Sprint(fp.MAP) != fmt.Sprint(ref.MAP) {
			t.Fatalf("GOMAXPROCS=%d: validation mAP %v, GOMAXPROCS=1 gave %v", procs, fp.MAP, ref.MAP)
		}
		if fp.Weights != ref.Weights {
			t.Fatalf("GOMAXPROCS=%d: weights hash %s, GOMAXPROCS=1 gave %s (losses equal)", procs, fp.Weights, ref.Weights)
		}
	}
}

// raceBuild reports whether the test binary was built with -race.
func raceBuild() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" && s.Value == "true" {
			return true
		}
	}
	return false
}

// determinismRun trains a real classifier (EfficientNetV2-T backbone, a
// small ML-Decoder head, AAM loss) with SGD + SAM, EMA, OneCycle and the
// full augmentation on the synthetic set, through Trainer.Run, with the
// loader's goroutines at their default (GOMAXPROCS), at 64 px so that the
// convolutions, batch norms, depthwise layers and attention run on the
// multi-threaded paths.
func determinismRun(t *testing.T) fingerprint {
	tr, va := tinyVOC(t)
	tl, err := data.NewLoader(tr, data.LoaderConfig{Size: 64, BatchSize: 8, Shuffle: true, DropLast: true, Seed: 3,
		Transform: data.Transform(augment.Train(augment.DefaultTrainOptions()))})
	if err != nil {
		t.Fatal(err)
	}
	vl, err := data.NewLoader(va, data.LoaderConfig{Size: 64, BatchSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "mldecoder", Classes: tr.Classes, Metric: true, Size: 64,
		Scale: 17, Norm: "half", DecoderEmbed: 64, DecoderHeads: 4, DecoderFFN: 128}
	m, err := models.Build(spec, models.Options{Seed: 11}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Epochs, cfg.LR, cfg.EMADecay, cfg.EMAWarmup, cfg.LogEvery = 1, 0.01, 0.99, true, 1
	var fp fingerprint
	trainer := &Trainer{Model: m, Loss: losses.NewAAM(17, 1, 2), Train: tl, Val: vl, Classes: tr.Classes, Config: cfg,
		OnStep: func(s StepStats) { fp.Losses = append(fp.Losses, s.Loss) }}
	st, err := trainer.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range st.History {
		fp.MAP = append(fp.MAP, e.MAP, e.MAPEMA)
	}
	h := sha256.New()
	m.Visit("", func(name string, p *ag.Tensor, _ nn.Kind) {
		h.Write([]byte(name))
		binary.Write(h, binary.LittleEndian, p.Data)
	})
	fp.Weights = fmt.Sprintf("%x", h.Sum(nil))
	fp.Threads = ops.Threads()
	if runtime.GOMAXPROCS(0) != fp.Threads {
		t.Fatalf("GOMAXPROCS %d but %d ops threads", runtime.GOMAXPROCS(0), fp.Threads)
	}
	return fp
}

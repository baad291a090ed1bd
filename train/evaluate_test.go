package train

import (
	"context"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
)

// The last, short batch takes its buffers from the arena the full batches
// used (larger buffers, cut to length, holding the earlier batches'
// values): its scores are the bits the Go heap's fresh buffers give.
func TestPredictShortBatchArena(t *testing.T) {
	_, va := tinyVOC(t) // 16 images: batches of 6, 6 and 4
	l, err := data.NewLoader(va, data.LoaderConfig{Size: 32, BatchSize: 6, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	m := newTinyNet(5, len(va.Classes))
	ar, err := predict(context.Background(), m, l, 10, ag.NewArena(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	heap, err := predict(context.Background(), m, l, 10, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ar.n != 16 || len(ar.scores) != len(heap.scores) {
		t.Fatalf("%d images, %d and %d scores", ar.n, len(ar.scores), len(heap.scores))
	}
	for i := range ar.scores {
		if ar.scores[i] != heap.scores[i] {
			t.Fatalf("score %d: %v from the arena, %v from the heap", i, ar.scores[i], heap.scores[i])
		}
	}
}

// The epoch's evaluation scores the raw and the EMA model in one pass
// over the validation images; its mAPs are those of evaluating each
// model on its own.
func TestEvalEpochRawAndEMA(t *testing.T) {
	tr := newTestTrainer(t, "", 1)
	var es EpochStats
	tr.OnEpoch = func(s EpochStats) { es = s }
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	raw, _, err := Evaluate(context.Background(), tr.Model, tr.Val, tr.Loss.Scale(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tr.ema.Swap(tr.Model)
	ema, _, err := Evaluate(context.Background(), tr.Model, tr.Val, tr.Loss.Scale(), nil)
	tr.ema.Swap(tr.Model)
	if err != nil {
		t.Fatal(err)
	}
	if es.MAP != raw.MAP || es.MAPEMA != ema.MAP {
		t.Fatalf("epoch: mAP %v, EMA %v; separately: %v, %v", es.MAP, es.MAPEMA, raw.MAP, ema.MAP)
	}
	if raw.MAP == ema.MAP {
		t.Fatalf("raw and EMA models score the same (%v): the test cannot tell them apart", raw.MAP)
	}
}

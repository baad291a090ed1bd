package recipe

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/ops"
)

// runPrecision trains the tiny CSV run of TestRunCSV for one epoch in the
// given precision and returns its best weights and log.
func runPrecision(t *testing.T, dir, precision string) (weights []byte, log string) {
	t.Helper()
	o := Defaults()
	o.Data = filepath.Join(dir, "all.csv")
	o.Size, o.Batch, o.Epochs, o.Out, o.Name, o.Precision = 32, 8, 1, filepath.Join(dir, "runs"), precision, precision
	var lb, out bytes.Buffer
	o.Log, o.Stdout = &lb, &out
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("-precision %s: %v\n%s", precision, err, lb.String())
	}
	if p := ops.MatmulPrecision(); p != ops.Float32 {
		t.Fatalf("-precision %s: products left in %v after the run", precision, p)
	}
	conf, err := os.ReadFile(filepath.Join(res.RunDir, "config.json"))
	if err != nil || !strings.Contains(string(conf), `"precision": "`+precision+`"`) {
		t.Errorf("config.json does not record precision %s: %s", precision, conf)
	}
	w, err := os.ReadFile(filepath.Join(res.RunDir, "best.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return w, lb.String()
}

// -precision bf16 trains with bf16 products (the weights differ from a
// float32 run's, which is deterministic), restores float32 afterwards, and
// on a CPU without AVX512_BF16 (forced here) trains in float32 after a
// one-line notice.
func TestRunPrecision(t *testing.T) {
	dir := t.TempDir()
	writeCSV(t, dir, "all", 24)
	f1, _ := runPrecision(t, dir, "float32")
	f2, _ := runPrecision(t, dir, "float32")
	if !bytes.Equal(f1, f2) {
		t.Fatal("two float32 runs with one seed differ")
	}
	b, log := runPrecision(t, dir, "bf16")
	if strings.Contains(log, "no AVX512_BF16") != !ops.BF16Available() {
		t.Errorf("notice and CPU disagree (BF16Available %v):\n%s", ops.BF16Available(), log)
	}
	if ops.BF16Available() && bytes.Equal(b, f1) {
		t.Error("-precision bf16 trained the same weights as float32")
	}

	// A CPU without AVX512_BF16.
	defer func(f func(ops.Precision) (ops.Precision, error)) { setMatmulPrecision = f }(setMatmulPrecision)
	setMatmulPrecision = func(p ops.Precision) (ops.Precision, error) {
		if p == ops.BF16 {
			return ops.MatmulPrecision(), ops.ErrNoBF16
		}
		return ops.SetMatmulPrecision(p)
	}
	b, log = runPrecision(t, dir, "bf16")
	if n := strings.Count(log, "no AVX512_BF16"); n != 1 {
		t.Errorf("the fallback notice appears %d times, want once:\n%s", n, log)
	}
	if !bytes.Equal(b, f1) {
		t.Error("the float32 fallback of -precision bf16 trained other weights than float32")
	}
}

func TestCheckPrecision(t *testing.T) {
	o := Defaults()
	o.Resolve()
	o.Precision = "fp16"
	if err := o.Check(); err == nil || !IsInputError(err) || !strings.Contains(err.Error(), "-precision") {
		t.Errorf("Check with -precision fp16: %v", err)
	}
}

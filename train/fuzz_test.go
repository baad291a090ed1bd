package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/nn"
)

// FuzzCheckpointState fuzzes the training state that `-resume` reads: the
// JSON in a checkpoint's metadata (key "state"), put into a real
// last.safetensors of the test recipe (interrupted in the middle of epoch
// 2) and given to Trainer.Resume. The rest of the file (the safetensors
// container and its tensors) is package nn's FuzzSafetensors. Properties:
// no panic, every error one line naming the file, and a state that is
// accepted is one a run can continue: counts >= 0, the best epoch among the
// completed ones, one history record per completed epoch, no more epochs
// or batches than the run has. The seed is the real checkpoint's state and
// its near misses. bench/fuzz.sh runs it with the others
// (docs/RELIABILITY.md).
//
//	go test ./train -run '^$' -fuzz '^FuzzCheckpointState$' -fuzztime 10m
func FuzzCheckpointState(f *testing.F) {
	dir := f.TempDir()
	interruptAt(f, dir, 8)
	file, err := os.ReadFile(filepath.Join(dir, "last.safetensors"))
	if err != nil {
		f.Fatal(err)
	}
	sd, err := nn.ReadWeights(bytes.NewReader(file), int64(len(file)), "last.safetensors")
	if err != nil {
		f.Fatal(err)
	}
	real := sd.Metadata["state"]
	// The file is rewritten with each state as nn.SaveSafetensors would
	// write it, less the fsync, which would make the target run a few
	// inputs a second: the header's metadata gets the new state, the
	// tensors stay where they are.
	n := binary.LittleEndian.Uint64(file[:8])
	var header map[string]json.RawMessage
	if err := json.Unmarshal(file[8:8+n], &header); err != nil {
		f.Fatal(err)
	}
	meta := sd.Metadata
	withState := func(state string) ([]byte, error) {
		meta["state"] = state
		m, err := json.Marshal(meta)
		if err != nil {
			return nil, err
		}
		header["__metadata__"] = m
		h, err := json.Marshal(header)
		if err != nil {
			return nil, err
		}
		out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
		return append(append(out, h...), file[8+n:]...), nil
	}
	f.Add([]byte(real))
	f.Add([]byte(real[:len(real)/2]))
	for _, r := range [][2]string{
		{`"epoch":1`, `"epoch":-1`}, {`"epoch":1`, `"epoch":7`}, {`"step_in_epoch":2`, `"step_in_epoch":-2`},
		{`"step_in_epoch":2`, `"step_in_epoch":99`}, {`"best_epoch":1`, `"best_epoch":2`}, {`"rng":"`, `"rng":"AAAA`},
		{`"version":1`, `"version":2`}, {`"epochs":2`, `"epochs":3`}, {`"history":[`, `"history":null,"x":[`},
	} {
		if !strings.Contains(real, r[0]) {
			f.Fatalf("the checkpoint's state has no %s: %s", r[0], real)
		}
		f.Add([]byte(strings.Replace(real, r[0], r[1], 1)))
	}
	for _, s := range []string{`{}`, `null`, `[]`, `{"version":1}`, ``, `{"version":1,"rng":"!"}`} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "last.safetensors")
	tr := newTestTrainer(f, f.TempDir(), 2)
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, err := withState(string(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := tr.Resume(path); err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, path) {
				t.Fatalf("error is not one line naming %s: %q", path, msg)
			}
			return
		}
		st := tr.State()
		if err := st.check(); err != nil {
			t.Fatalf("accepted: %v", err)
		}
		if st.Epoch > tr.Config.Epochs || st.StepInEpoch > tr.Train.Len() {
			t.Fatalf("accepted epoch %d of %d, batch %d of %d", st.Epoch, tr.Config.Epochs, st.StepInEpoch, tr.Train.Len())
		}
	})
}

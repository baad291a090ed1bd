package onnx

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed477ab429/multilabel/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

// The export fixtures: testdata/<case>.onnx is the export of a tiny
// classifier (tiny_test.go) and testdata/<case>.ort.json the scores ONNX
// Runtime computed from it on testdata/input.f32, recorded by
// tools/onnx/record_fixtures.sh. The tests check, without ONNX Runtime,
// that a fresh export still equals the file ONNX Runtime ran and that our
// own forward pass gives ONNX Runtime's scores.
//
// After a change to the exporter or the models:
//
//	go test ./onnx -run TestExportFixtures -update   # rewrite the .onnx files and input.f32
//	tools/onnx/record_fixtures.sh                    # rerun them in ONNX Runtime
var update = flag.Bool("update", false, "rewrite the export fixtures in testdata (then run tools/onnx/record_fixtures.sh)")

// ortFixture is what tools/onnx/ort_fixtures.mjs records.
type ortFixture struct {
	ORTVersion string    `json:"ort_version"`
	Shape      []int     `json:"shape"`
	Scores     []float64 `json:"scores"`
}

const relTol = 1e-4

func TestExportFixtures(t *testing.T) {
	x := tinyInput()
	if *update {
		raw := make([]byte, 4*len(x))
		for i, v := range x {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		if err := os.WriteFile(filepath.Join("testdata", "input.f32"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range tinyCases() {
		t.Run(tc.name, func(t *testing.T) {
			net := tc.make(t)
			m, err := Export(net, Options{})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".onnx")
			if *update {
				if err := WriteFile(path, m); err != nil {
					t.Fatal(err)
				}
				return
			}
			committed, err := ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./onnx -run TestExportFixtures -update, then tools/onnx/record_fixtures.sh)", err)
			}
			if err := sameModel(m, committed); err != nil {
				t.Fatalf("the export differs from %s, which ONNX Runtime ran: %v\n(if the change is intended: go test ./onnx -run TestExportFixtures -update, then tools/onnx/record_fixtures.sh)", path, err)
			}
			raw, err := os.ReadFile(filepath.Join("testdata", tc.name+".ort.json"))
			if err != nil {
				t.Fatalf("no ONNX Runtime record: %v (run tools/onnx/record_fixtures.sh)", err)
			}
			var ort ortFixture
			if err := json.Unmarshal(raw, &ort); err != nil {
				t.Fatal(err)
			}
			got := goScores(net, x, tinyBatch)
			if len(ort.Scores) != len(got) {
				t.Fatalf("ONNX Runtime gave %d scores, we %d", len(ort.Scores), len(got))
			}
			worst := 0.0
			for i, want := range ort.Scores {
				r := math.Abs(float64(got[i])-want) / math.Max(math.Abs(want), 1e-30)
				worst = math.Max(worst, r)
				if r > relTol {
					t.Errorf("score %d: ours %.8g, ONNX Runtime %s %.8g (relative difference %.2g > %g)", i, got[i], ort.ORTVersion, want, r, relTol)
				}
			}
			t.Logf("largest relative difference to ONNX Runtime %s: %.2g", ort.ORTVersion, worst)
		})
	}
}

// sameModel compares two exports: the same nodes (ops, names, inputs,
// attributes), metadata and graph inputs and outputs, and initializers
// of the same names, types and shapes whose values agree to 2e-5
// (relative) — what another kernel path may change in the last bits of a
// computed weight: a folded BatchNorm, or ML-GCN's classifier, which the
// export computes through the graph convolutions' products (the pure-Go
// GEMM rounds them differently from the AVX-512 one by up to about 6e-6).
// The scores themselves are held to ONNX Runtime's at 1e-4 above.
func sameModel(a, b *onnxpb.ModelProto) error {
	ga, gb := a.GetGraph(), b.GetGraph()
	if len(ga.Node) != len(gb.Node) {
		return fmt.Errorf("%d nodes, committed file %d", len(ga.Node), len(gb.Node))
	}
	for i := range ga.Node {
		if !proto.Equal(ga.Node[i], gb.Node[i]) {
			return fmt.Errorf("node %d: %v, committed file %v", i, ga.Node[i], gb.Node[i])
		}
	}
	if !proto.Equal(&onnxpb.GraphProto{Input: ga.Input, Output: ga.Output}, &onnxpb.GraphProto{Input: gb.Input, Output: gb.Output}) {
		return fmt.Errorf("graph inputs or outputs differ")
	}
	if len(a.MetadataProps) != len(b.MetadataProps) {
		return fmt.Errorf("metadata differs")
	}
	for i := range a.MetadataProps {
		if !proto.Equal(a.MetadataProps[i], b.MetadataProps[i]) {
			return fmt.Errorf("metadata %s differs", a.MetadataProps[i].GetKey())
		}
	}
	if len(ga.Initializer) != len(gb.Initializer) {
		return fmt.Errorf("%d initializers, committed file %d", len(ga.Initializer), len(gb.Initializer))
	}
	for i, ta := range ga.Initializer {
		tb := gb.Initializer[i]
		if ta.GetName() != tb.GetName() || ta.GetDataType() != tb.GetDataType() || fmt.Sprint(ta.Dims) != fmt.Sprint(tb.Dims) {
			return fmt.Errorf("initializer %d: %s %v, committed file %s %v", i, ta.GetName(), ta.Dims, tb.GetName(), tb.Dims)
		}
		if ta.GetDataType() != int32(onnxpb.TensorProto_FLOAT) {
			if !proto.Equal(ta, tb) {
				return fmt.Errorf("initializer %s differs", ta.GetName())
			}
			continue
		}
		va, vb := floats(ta), floats(tb)
		for k := range va {
			if d := math.Abs(float64(va[k] - vb[k])); d > 2e-5*math.Max(math.Abs(float64(vb[k])), 1e-3) {
				return fmt.Errorf("initializer %s[%d]: %g, committed file %g", ta.GetName(), k, va[k], vb[k])
			}
		}
	}
	return nil
}

func floats(t *onnxpb.TensorProto) []float32 {
	if len(t.RawData) > 0 {
		out := make([]float32, len(t.RawData)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.RawData[4*i:]))
		}
		return out
	}
	return t.FloatData
}

func TestExportErrors(t *testing.T) {
	net := tinyCases()[9].make(t) // tresnet_pool
	net.Spec.Size = 48
	if _, err := Export(net, Options{}); err == nil || !strings.Contains(err.Error(), "divisible by 32") {
		t.Errorf("TResNet at 48: %v", err)
	}
	net.Spec.Size = 64
	if _, err := Export(net, Options{Thresholds: []float64{0.5}}); err == nil || !strings.Contains(err.Error(), "1 thresholds for 5 classes") {
		t.Errorf("thresholds: %v", err)
	}
	net.Spec.Norm = "bogus"
	if _, err := Export(net, Options{}); err == nil {
		t.Errorf("unknown normalization: no error")
	}
	if _, err := Unmarshal([]byte{0xff, 0xff, 0xff}, "x.onnx"); err == nil || !strings.Contains(err.Error(), "x.onnx is not an ONNX model") {
		t.Errorf("garbage: %v", err)
	}
	if _, err := Unmarshal(nil, "empty.onnx"); err == nil || !strings.Contains(err.Error(), "no graph") {
		t.Errorf("empty: %v", err)
	}
}

// TestWriteFile: the file is complete, readable by others, and no
// temporary file is left beside it.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	m, err := Export(tinyCases()[8].make(t), Options{}) // resnet_pool_max
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "m.onnx")
	if err := WriteFile(path, m); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(path)
	if err != nil || !proto.Equal(back, m) {
		t.Fatalf("read back: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	st, _ := os.Stat(path)
	if len(entries) != 1 || st.Mode().Perm() != 0o644 {
		t.Errorf("folder holds %d entries, mode %v", len(entries), st.Mode())
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir.onnx"), m); err == nil {
		t.Error("writing into a missing folder: no error")
	}
}

package models

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSpec fuzzes model.json, the run folder's description of a model:
// UnmarshalSpec must accept it or say in one line what is wrong, and an
// accepted spec must build. Building runs on the small efficientnetv2_t
// backbone and only for heads of laptop size (the limits themselves are
// Validate's, checked on every input), so each execution stays cheap.
//
//	go test ./models/ -run '^$' -fuzz '^FuzzSpec$' -fuzztime 10m
func FuzzSpec(f *testing.F) {
	for _, s := range []string{
		`{"backbone": "efficientnetv2_t", "head": "mldecoder", "classes": ["cat", "dog"], "metric": true, "size": 128, "scale": 17, "norm": "half", "decoder_embed": 32, "decoder_ffn": 64}`,
		`{"backbone": "efficientnetv2_t", "head": "gat", "classes": ["a", "b", "c"], "metric": true, "size": 64, "scale": 17, "norm": "half", "embed_dim": 16}`,
		`{"backbone": "efficientnetv2_t", "head": "gat+mldecoder", "classes": ["a", "b"], "metric": true, "size": 64, "scale": 17, "embed_dim": 8, "decoder_embed": 16, "decoder_heads": 4, "decoder_ffn": 32}`,
		`{"backbone": "efficientnetv2_t", "head": "mlgcn", "classes": ["a", "b"], "size": 64, "scale": 1, "embed_dim": 4}`,
		`{"backbone": "efficientnetv2_t", "head": "pool", "pooling": "avg+max", "classes": ["x"], "size": 32, "scale": 1}`,
		`{"backbone": "efficientnetv2_t", "head": "q2l", "classes": ["x", "y"], "size": 32, "scale": 1}`,
		`{"backbone": "tresnet_m", "head": "mldecoder", "classes": ["a"], "size": 448, "scale": 23, "decoder_heads": 7}`,
		`{"backbone": "efficientnetv2_t", "head": "pool", "classes": ["a", "a"], "size": -1, "scale": 0}`,
		`{"backbone": 3}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := UnmarshalSpec(b)
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "model spec: ") {
				t.Fatalf("error %q", msg)
			}
			return
		}
		small := len(s.Classes) <= 64 && s.EmbedDim <= 64
		if strings.Contains(s.Head, "mldecoder") {
			small = small && s.DecoderEmbed > 0 && s.DecoderEmbed <= 64 && s.DecoderFFN > 0 && s.DecoderFFN <= 128
		}
		if !small {
			return
		}
		s.Backbone = "efficientnetv2_t"
		var g *Graph
		if s.EmbedDim > 0 {
			g = ZeroGraph(len(s.Classes), s.EmbedDim)
		}
		m, err := Build(s, Options{}, g)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if m.Head == nil || m.Backbone == nil {
			t.Fatal("Build returned a model without a head or backbone")
		}
	})
}

// FuzzGloVe fuzzes the label-vector file of -label-vectors (GloVe text:
// "word v1 ... vD" per line) through ReadLabelEmbeddings: no panic, every
// error one line naming the file, every accepted table one row of Dim
// values per class.
//
//	go test ./models/ -run '^$' -fuzz '^FuzzGloVe$' -fuzztime 10m
func FuzzGloVe(f *testing.F) {
	for _, s := range []string{
		"cat 0.1 0.2 0.3\ndog 1 2 3\ntraffic 0 0 1\nlight 1 0 0\n",
		"traffic_light 1e-3 -2.5 3\ncat 1 2 3\nCat 3 2 1\ncat 9 9 9\nt 1 1 1\nshirt 2 2 2\n",
		"a b c 1 2\ncat 1 2\n", "cat 1 x\n", "cat\n", "\n\n", "cat 1 2 3\ndog 1 2\n", "cat NaN Inf -Inf\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	classes := []string{"cat", "traffic light", "t-shirt"}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "vectors.txt")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		emb, dim, _, err := ReadLabelEmbeddings(p, classes)
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, p) {
				t.Fatalf("error %q", msg)
			}
			return
		}
		if dim <= 0 || len(emb) != len(classes)*dim {
			t.Fatalf("%d values for %d classes of dim %d", len(emb), len(classes), dim)
		}
	})
}

// FuzzLabelGraph fuzzes the label-graph tables of a GAT or ML-GCN head
// (ML-GCN's co-occurrence counts and per-class image counts as CSV)
// through ReadCooccurrenceCSV and ReadNumsCSV, then builds the graph from
// what was accepted: no panic, every error one line naming the file.
//
//	go test ./models/ -run '^$' -fuzz '^FuzzLabelGraph$' -fuzztime 10m
func FuzzLabelGraph(f *testing.F) {
	for _, s := range []string{
		"class,cat,dog\ncat,5,2\ndog,2,4\n", "class,num_images\ncat,5\ndog,4\n", "class,cat\ncat,-1\n",
		"class,cat,dog\ndog,1,1\ncat,1,1\n", "class,cat\ncat,1,2\n", "\"class,cat\n", "", "class\n", "class,a,a\na,1,1\na,1,1\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "labels.csv")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		check := func(err error) bool {
			if err != nil {
				if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, p) {
					t.Fatalf("error %q", msg)
				}
				return false
			}
			return true
		}
		classes, counts, err := ReadCooccurrenceCSV(p)
		if check(err) {
			if len(counts) != len(classes)*len(classes) {
				t.Fatalf("%d counts for %d classes", len(counts), len(classes))
			}
			if n := len(classes); n > 0 && n <= 64 {
				nums := make([]int, n)
				for i := range nums {
					nums[i] = counts[i*n+i]
				}
				GraphFromCounts(nums, counts, 0.4, 0.2)
			}
		}
		classes, nums, err := ReadNumsCSV(p)
		if check(err) && len(nums) != len(classes) {
			t.Fatalf("%d counts for %d classes", len(nums), len(classes))
		}
	})
}

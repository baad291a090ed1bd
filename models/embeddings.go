package models

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Label embeddings X [N, E], the node features of the label graph: GloVe
// vectors of the class names (docs/method.md §3.1), or, for classes without
// meaningful names, vectors built from the images (ClassFeatureMeans).

// WordVectors is a table of word vectors read from a GloVe-format text
// file: one word per line followed by its Dim values.
type WordVectors struct {
	Dim     int
	Vectors map[string][]float32
}

// ReadGloVe reads a GloVe text file ("word v1 ... vD", the format of
// glove.6B.300d.txt). D is taken from the first line. keep, if not nil,
// selects the words to load: the full 6B file holds 400k words, a label
// set needs a few hundred (ReadLabelEmbeddings passes its class words).
// A word containing spaces (GloVe 840B has a few) is everything before
// the last D fields.
func ReadGloVe(path string, keep func(word string) bool) (*WordVectors, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	wv := &WordVectors{Vectors: map[string][]float32{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if wv.Dim == 0 {
			if len(fields) < 2 {
				return nil, fmt.Errorf("models: %s:%d: a word without values", path, line)
			}
			wv.Dim = len(fields) - 1
		}
		if len(fields) < wv.Dim+1 {
			return nil, fmt.Errorf("models: %s:%d: %d values, the first line has %d", path, line, len(fields)-1, wv.Dim)
		}
		split := len(fields) - wv.Dim
		word := strings.Join(fields[:split], " ")
		if keep != nil && !keep(word) {
			continue
		}
		if _, dup := wv.Vectors[word]; dup {
			continue // first occurrence wins, as a dict built line by line with setdefault
		}
		v := make([]float32, wv.Dim)
		for i, s := range fields[split:] {
			x, err := strconv.ParseFloat(s, 32)
			if err != nil {
				return nil, fmt.Errorf("models: %s:%d: value %d of %q: %w", path, line, i+1, word, err)
			}
			v[i] = float32(x)
		}
		wv.Vectors[word] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("models: %s: %w", path, err)
	}
	if wv.Dim == 0 {
		return nil, fmt.Errorf("models: %s: no vectors", path)
	}
	return wv, nil
}

// lookup finds a word as written, then lower-cased (GloVe 6B is lower-case).
func (wv *WordVectors) lookup(w string) []float32 {
	if v, ok := wv.Vectors[w]; ok {
		return v
	}
	return wv.Vectors[strings.ToLower(w)]
}

// classWords splits a class name into words at spaces, underscores and
// hyphens ("traffic light", "potted_plant", "t-shirt").
func classWords(name string) []string {
	return strings.FieldsFunc(name, func(r rune) bool { return r == ' ' || r == '_' || r == '-' })
}

// OOVError reports classes none of whose words has a vector.
type OOVError struct {
	Classes []string
}

func (e *OOVError) Error() string {
	return fmt.Sprintf("models: no word vector for class(es) %s", strings.Join(e.Classes, ", "))
}

// LabelEmbeddings returns the rows X [N, Dim] (row-major, in the order of
// classes) for class names:
//
//   - the whole name, spaces replaced by "_", if the table has it (the
//     per-class vector files of ML-GCN, whose keys are whole class names);
//   - otherwise the mean of the vectors of its words, x = (1/|W|) Σ_{w∈W} v_w
//     over the words found (the reference's prepare_word_embedings, with
//     the mean taken over axis 0).
//
// oov lists the missing words as "class: word"; a class with no word found
// at all makes the error an *OOVError (its row is left zero).
func LabelEmbeddings(wv *WordVectors, classes []string) (emb []float32, oov []string, err error) {
	d := wv.Dim
	emb = make([]float32, len(classes)*d)
	var missing []string
	for i, name := range classes {
		row := emb[i*d : (i+1)*d]
		if v := wv.lookup(strings.ReplaceAll(name, " ", "_")); v != nil {
			copy(row, v)
			continue
		}
		found := 0
		sum := make([]float64, d)
		for _, w := range classWords(name) {
			v := wv.lookup(w)
			if v == nil {
				oov = append(oov, name+": "+w)
				continue
			}
			found++
			for k, x := range v {
				sum[k] += float64(x)
			}
		}
		if found == 0 {
			missing = append(missing, name)
			continue
		}
		for k, s := range sum {
			row[k] = float32(s / float64(found))
		}
	}
	if len(missing) > 0 {
		return emb, oov, &OOVError{Classes: missing}
	}
	return emb, oov, nil
}

// ReadLabelEmbeddings reads from a GloVe file only the vectors the class
// names need and returns LabelEmbeddings' result and the dimension.
func ReadLabelEmbeddings(path string, classes []string) (emb []float32, dim int, oov []string, err error) {
	want := map[string]bool{}
	for _, c := range classes {
		want[strings.ReplaceAll(c, " ", "_")] = true
		for _, w := range classWords(c) {
			want[w], want[strings.ToLower(w)] = true, true
		}
	}
	wv, err := ReadGloVe(path, func(w string) bool { return want[w] })
	if err != nil {
		return nil, 0, nil, err
	}
	emb, oov, err = LabelEmbeddings(wv, classes)
	var oe *OOVError
	if errors.As(err, &oe) {
		err = fmt.Errorf("models: %s: %w", path, err)
	}
	return emb, wv.Dim, oov, err
}

// ClassFeatureMeans builds label embeddings from images, for label sets
// without meaningful names (VG500's integer classes, the open problem the
// paper names). Feed it the pooled backbone features of the training set
// (eval mode, e.g. GlobalPool(features, PoolAvg)) with each image's labels;
// Embeddings then gives X [N, dim]:
//
//  1. μ_j = mean of the features f_b over the training images b with label j;
//  2. centre: x_j = μ_j − (1/N) Σ_k μ_k. Backbone features are positive
//     after SiLU/ReLU, so raw means share one large common direction and
//     would all look alike to the graph attention; centring keeps what
//     tells the classes apart;
//  3. project to dim by PCA of the centred means: with the Gram matrix
//     G = X Xᵀ = U Λ Uᵀ, the coordinates are Y = U Λ^½ (= X V, V the
//     principal directions), largest eigenvalues first; the first
//     min(N, C, dim) columns are kept and the rest padded with zeros. The
//     rank of X is at most N − 1, so for N ≤ dim the projection keeps every
//     pairwise distance between class means exactly;
//  4. scale every row by one factor so the mean row norm is 0.385·√dim
//     (≈ 6.7 for dim 300), the typical norm of a GloVe 6B 300-d vector,
//     so the graph layers' initialisation sees inputs of the usual size.
type ClassFeatureMeans struct {
	N, C  int
	sum   []float64 // [N, C]
	count []int     // [N]
}

// NewClassFeatureMeans makes an empty accumulator for N classes of C
// channels.
func NewClassFeatureMeans(classes, channels int) *ClassFeatureMeans {
	return &ClassFeatureMeans{N: classes, C: channels, sum: make([]float64, classes*channels), count: make([]int, classes)}
}

// Add accumulates a batch: feats [B, C] row-major, labels[b] the label
// indices of image b.
func (a *ClassFeatureMeans) Add(feats []float32, labels [][]int) error {
	if len(feats) != len(labels)*a.C {
		return fmt.Errorf("models: class feature means: %d values for %d images × %d channels", len(feats), len(labels), a.C)
	}
	for b, ls := range labels {
		f := feats[b*a.C : (b+1)*a.C]
		for _, j := range ls {
			if j < 0 || j >= a.N {
				return fmt.Errorf("models: class feature means: image %d has label %d outside [0, %d)", b, j, a.N)
			}
			a.count[j]++
			s := a.sum[j*a.C : (j+1)*a.C]
			for k, v := range f {
				s[k] += float64(v)
			}
		}
	}
	return nil
}

// Embeddings returns X [N, dim] by the method in the type's comment. A
// class that never occurred is an error.
func (a *ClassFeatureMeans) Embeddings(dim int) ([]float32, error) {
	n, c := a.N, a.C
	if dim <= 0 {
		return nil, fmt.Errorf("models: class feature means: dim %d", dim)
	}
	x := make([]float64, n*c)
	center := make([]float64, c)
	for j := 0; j < n; j++ {
		if a.count[j] == 0 {
			return nil, fmt.Errorf("models: class feature means: class %d has no training image", j)
		}
		for k := 0; k < c; k++ {
			v := a.sum[j*c+k] / float64(a.count[j])
			x[j*c+k] = v
			center[k] += v / float64(n)
		}
	}
	for j := 0; j < n; j++ {
		for k := 0; k < c; k++ {
			x[j*c+k] -= center[k]
		}
	}
	// Gram matrix G = X Xᵀ [n, n] and its eigen-decomposition (ascending
	// eigenvalues, eigenvector k in column k of vecs).
	g := make([]float64, n*n)
	for i := 0; i < n; i++ {
		xi := x[i*c : (i+1)*c]
		for j := 0; j <= i; j++ {
			xj := x[j*c : (j+1)*c]
			var s float64
			for k, v := range xi {
				s += v * xj[k]
			}
			g[i*n+j] = s
			g[j*n+i] = s
		}
	}
	vals, vecs, err := symEigen(g, n)
	if err != nil {
		return nil, fmt.Errorf("models: class feature means: eigen-decomposition failed: %w", err)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(p, q int) bool { return vals[order[p]] > vals[order[q]] })
	keep := min(n, c, dim)
	y := make([]float64, n*dim)
	for col := 0; col < keep; col++ {
		e := order[col]
		lam := math.Max(vals[e], 0)
		// Fix the eigenvector's sign (its largest entry positive) so the
		// result does not depend on the solver's choice.
		sign, big := 1.0, 0.0
		for j := 0; j < n; j++ {
			if v := vecs[j*n+e]; math.Abs(v) > big {
				big, sign = math.Abs(v), math.Copysign(1, v)
			}
		}
		s := sign * math.Sqrt(lam)
		for j := 0; j < n; j++ {
			y[j*dim+col] = vecs[j*n+e] * s
		}
	}
	var meanNorm float64
	for j := 0; j < n; j++ {
		var ss float64
		for _, v := range y[j*dim : (j+1)*dim] {
			ss += v * v
		}
		meanNorm += math.Sqrt(ss) / float64(n)
	}
	scale := 1.0
	if meanNorm > 0 {
		scale = 0.385 * math.Sqrt(float64(dim)) / meanNorm
	}
	out := make([]float32, n*dim)
	for i, v := range y {
		out[i] = float32(v * scale)
	}
	return out, nil
}

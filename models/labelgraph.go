package models

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"strconv"
)

// The label graph of the GAT and ML-GCN heads (docs/method.md §3.1-§3.2), built
// from the training labels only. All matrices are N×N, row-major.
//
//	n_i   = #images containing label i
//	n_ij  = #images containing both i and j (i ≠ j; n_ii = 0)
//	M_ij  = n_ij / n_i = P(j present | i present)                    (0 if n_i = 0)
//	B_ij  = [M_ij ≥ τ]                                                τ = 0.4
//	A_ij  = ρ·B_ij / (Σ_k B_kj + 1e-6) + δ_ij                          ρ = 0.25
//	d_i   = (Σ_j A_ij)^(−1/2)
//	Â_ij  = d_i · A_ji · d_j                                           (gen_adj: (A·D)ᵀ·D)
//
// Worked example, 3 labels, images {0,1}, {0,1}, {0}, {2}: n = (3, 2, 1),
// n_01 = n_10 = 2, so M_01 = 2/3, M_10 = 1; with τ = 0.4 both edges
// survive, each column of B sums to 1, A = [[1, .25, 0], [.25, 1, 0],
// [0, 0, 1]] (up to the 1e-6), d = (1.25^−½, 1.25^−½, 1), Â_01 = .25/1.25
// = 0.2, Â_00 = 0.8, Â_22 = 1.

// Default graph hyperparameters (model.gcn.thau, model.gcn.rho).
const (
	DefaultTau = 0.4
	DefaultRho = 0.25
)

// CooccurrenceCounts counts label occurrences over images given as lists
// of label indices in [0, n). It returns nums [n] (n_i) and counts [n·n]
// (n_ij, zero diagonal). A label repeated within one image's list counts
// once: the reference's prepare_adj_matrix counts every occurrence in n_i,
// which only differs on malformed lists (ML-GCN's own counts, and the VOC
// 2007 count tables its repository ships, count images).
func CooccurrenceCounts(labels [][]int, n int) (nums, counts []int, err error) {
	nums = make([]int, n)
	counts = make([]int, n*n)
	seen := make([]int, n) // seen[l] = image index + 1 when l was seen in that image
	uniq := make([]int, 0, 16)
	for img, ls := range labels {
		uniq = uniq[:0]
		for _, l := range ls {
			if l < 0 || l >= n {
				return nil, nil, fmt.Errorf("models: label graph: image %d has label %d outside [0, %d)", img, l, n)
			}
			if seen[l] != img+1 {
				seen[l] = img + 1
				uniq = append(uniq, l)
			}
		}
		for _, i := range uniq {
			nums[i]++
			for _, j := range uniq {
				if i != j {
					counts[i*n+j]++
				}
			}
		}
	}
	return nums, counts, nil
}

// ConditionalProbs returns M_ij = n_ij / n_i (row i divided by the count
// of i; rows of never-seen labels stay 0).
func ConditionalProbs(nums, counts []int) []float64 {
	n := len(nums)
	if len(counts) != n*n {
		panic(fmt.Sprintf("models.ConditionalProbs: %d counts for %d labels", len(counts), n))
	}
	m := make([]float64, n*n)
	for i := 0; i < n; i++ {
		if nums[i] == 0 {
			continue
		}
		for j := 0; j < n; j++ {
			m[i*n+j] = float64(counts[i*n+j]) / float64(nums[i])
		}
	}
	return m
}

// GenA is ML-GCN's gen_A on M [n·n]: binarise at τ, re-weight each column
// by ρ / (its number of edges + 1e-6), add self loops of weight 1. As in
// the reference, ρ = 0 skips both the re-weighting and the self loops (the
// binary matrix is returned).
func GenA(m []float64, n int, tau, rho float64) []float64 {
	if len(m) != n*n {
		panic(fmt.Sprintf("models.GenA: %d values for %d labels", len(m), n))
	}
	a := make([]float64, n*n)
	for i, v := range m {
		if v >= tau {
			a[i] = 1
		}
	}
	if rho == 0 {
		return a
	}
	colSum := make([]float64, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			colSum[j] += a[i*n+j]
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a[i*n+j] = a[i*n+j] * rho / (colSum[j] + 1e-6)
		}
		a[i*n+i]++
	}
	return a
}

// NormalizeAdj is gen_adj: Â_ij = d_i · A_ji · d_j with d_i = (Σ_j A_ij)^(−½),
// computed in float64 and rounded once to float32. Rows of A must have
// positive sums (GenA's self loops guarantee it).
func NormalizeAdj(a []float64, n int) []float32 {
	if len(a) != n*n {
		panic(fmt.Sprintf("models.NormalizeAdj: %d values for %d labels", len(a), n))
	}
	d := make([]float64, n)
	for i := 0; i < n; i++ {
		var s float64
		for j := 0; j < n; j++ {
			s += a[i*n+j]
		}
		d[i] = 1 / math.Sqrt(s)
	}
	out := make([]float32, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			out[i*n+j] = float32(d[i] * a[j*n+i] * d[j])
		}
	}
	return out
}

// LabelGraph is the processed graph of a head: the re-weighted adjacency A
// (saved by the reference as parameter "A") and its normalisation Â.
type LabelGraph struct {
	N    int
	A    []float64 // GenA output [N·N]
	AHat []float32 // NormalizeAdj(A) [N·N]
}

// NewLabelGraph builds the graph of n labels from training label lists
// with thresholds τ and ρ (DefaultTau, DefaultRho).
func NewLabelGraph(labels [][]int, n int, tau, rho float64) (*LabelGraph, error) {
	nums, counts, err := CooccurrenceCounts(labels, n)
	if err != nil {
		return nil, err
	}
	return GraphFromCounts(nums, counts, tau, rho), nil
}

// GraphFromCounts builds the graph from counts (e.g. read with
// ReadCooccurrenceCSV).
func GraphFromCounts(nums, counts []int, tau, rho float64) *LabelGraph {
	n := len(nums)
	a := GenA(ConditionalProbs(nums, counts), n, tau, rho)
	return &LabelGraph{N: n, A: a, AHat: NormalizeAdj(a, n)}
}

// GraphFromA builds the graph from a stored A [n·n] (the reference's
// state-dict entry "A"), recomputing Â as its forward does.
func GraphFromA(a []float32, n int) *LabelGraph {
	a64 := make([]float64, len(a))
	for i, v := range a {
		a64[i] = float64(v)
	}
	return &LabelGraph{N: n, A: a64, AHat: NormalizeAdj(a64, n)}
}

// ReadCooccurrenceCSV reads a square count table with a header row and a
// header column of class names ("class,aeroplane,...", then one row per
// class): ML-GCN's co-occurrence counts written out as CSV, e.g.
//
//	class,aeroplane,bicycle,...
//	aeroplane,0,0,...
//	bicycle,0,0,...
//
// It returns the class names and the counts [n·n] (row i, column j: n_ij).
func ReadCooccurrenceCSV(path string) (classes []string, counts []int, err error) {
	rows, err := readCSV(path)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) < 1 || len(rows[0]) < 1 {
		return nil, nil, fmt.Errorf("models: %s: empty table", path)
	}
	classes = rows[0][1:]
	n := len(classes)
	if len(rows) != n+1 {
		return nil, nil, fmt.Errorf("models: %s: %d classes in the header but %d rows", path, n, len(rows)-1)
	}
	counts = make([]int, n*n)
	for i, r := range rows[1:] {
		if len(r) != n+1 || r[0] != classes[i] {
			return nil, nil, fmt.Errorf("models: %s: row %d is %q with %d fields (want class %q and %d counts)", path, i+2, r[0], len(r)-1, classes[i], n)
		}
		for j, s := range r[1:] {
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 {
				return nil, nil, fmt.Errorf("models: %s: row %d column %d: bad count %q", path, i+2, j+2, s)
			}
			counts[i*n+j] = v
		}
	}
	return classes, counts, nil
}

// ReadNumsCSV reads per-class image counts ("class,num_images" header, then
// "name,count" rows), ML-GCN's per-class counts n_i written out as CSV.
func ReadNumsCSV(path string) (classes []string, nums []int, err error) {
	rows, err := readCSV(path)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) < 1 {
		return nil, nil, fmt.Errorf("models: %s: empty table", path)
	}
	for i, r := range rows[1:] {
		if len(r) != 2 {
			return nil, nil, fmt.Errorf("models: %s: row %d has %d fields (want name,count)", path, i+2, len(r))
		}
		v, err := strconv.Atoi(r[1])
		if err != nil || v < 0 {
			return nil, nil, fmt.Errorf("models: %s: row %d: bad count %q", path, i+2, r[1])
		}
		classes = append(classes, r[0])
		nums = append(nums, v)
	}
	return classes, nums, nil
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", path, err)
	}
	return rows, nil
}

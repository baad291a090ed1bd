package synth

// Synthetic images with given label sets: the images are drawn as in
// Generate, but which classes each image holds is read from a real data
// set's label lists (e.g. VOC 2007's) instead of drawn from the five
// synthetic co-occurrence groups. The label graph a graph head learns from
// is then the real data set's co-occurrence graph, and the class names are
// real words with meaningful GloVe vectors, so name-based label embeddings
// (GloVe) can be compared with image-derived ones (models.ClassFeatureMeans)
// on a data set that has names, without needing its images.
//
// Class k of the given names is drawn as synthetic object type k
// (Classes()[k]); the pairing is arbitrary, so visual similarity between
// types (the two variants of a shape) has nothing to do with semantic
// similarity between names.

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
)

// LabelSets fixes the content of every generated image.
type LabelSets struct {
	// Classes are the class names, at most 20 (the number of synthetic
	// object types), unique, sorted if the data set is read by a loader
	// that sorts (VOC's are).
	Classes []string
	// Train, Val and Test hold, per image, the indices into Classes of the
	// objects to draw, one object per index, drawn in this order (later
	// ones may occlude earlier ones). Their lengths set the split sizes.
	Train, Val, Test [][]int
}

// GenerateWithLabelSets writes a data set like Generate, in the VOCdevkit
// layout under root, whose images hold the objects ls gives. cfg's Seed
// and Size are used; its split sizes are replaced by ls's. An object that
// ends up fully hidden by later ones is not annotated, one mostly hidden
// is marked difficult, exactly as in Generate, so an image's annotated
// labels can be a subset of its label set.
func GenerateWithLabelSets(root string, cfg Config, ls LabelSets, progress func(done, total int)) (string, error) {
	if len(ls.Classes) == 0 || len(ls.Classes) > len(classes) {
		return "", fmt.Errorf("synth: %d class names, want 1 to %d", len(ls.Classes), len(classes))
	}
	seen := map[string]bool{}
	for _, c := range ls.Classes {
		if c == "" || strings.ContainsAny(c, " \t\n/") || seen[c] {
			return "", fmt.Errorf("synth: class name %q empty, repeated or not usable as a file name", c)
		}
		seen[c] = true
	}
	sets := [3][][]int{ls.Train, ls.Val, ls.Test}
	for s, split := range []string{"train", "val", "test"} {
		for i, set := range sets[s] {
			used := map[int]bool{}
			for _, c := range set {
				if c < 0 || c >= len(ls.Classes) || used[c] {
					return "", fmt.Errorf("synth: %s image %d: class index %d out of range [0, %d) or repeated", split, i, c, len(ls.Classes))
				}
				used[c] = true
			}
		}
	}
	if len(ls.Train)+len(ls.Val)+len(ls.Test) == 0 {
		return "", fmt.Errorf("synth: no label sets given")
	}
	cfg = cfg.withDefaults()
	cfg.Train, cfg.Val, cfg.Test = len(ls.Train), len(ls.Val), len(ls.Test)
	return generate(root, cfg, ls.Classes, &sets, progress)
}

// ReadLabelSets reads a label list with one image per line, "id name
// name ...", e.g. "000009.jpg horse person":
// each name must be one of classes; the result holds per line the class
// indices. Blank lines and lines starting with '#' are skipped.
func ReadLabelSets(path string, classes []string) ([][]int, error) {
	index := map[string]int{}
	for i, c := range classes {
		index[c] = i
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("synth: label sets: %w", err)
	}
	defer f.Close()
	var out [][]int
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		set := make([]int, 0, len(fields)-1)
		used := map[int]bool{}
		for _, name := range fields[1:] {
			k, ok := index[name]
			if !ok {
				return nil, fmt.Errorf("synth: %s:%d: unknown class %q", path, line, name)
			}
			if used[k] {
				return nil, fmt.Errorf("synth: %s:%d: class %q listed twice", path, line, name)
			}
			used[k] = true
			set = append(set, k)
		}
		out = append(out, set)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("synth: %s: %w", path, err)
	}
	return out, nil
}

// SampleLabelSets draws n of sets without replacement, in a random order
// fixed by seed (a seeded Fisher-Yates shuffle of the indices; the first n
// are taken), so disjoint samples come from one shuffle's consecutive
// ranges: SampleLabelSets(s, a+b, seed)[:a] and [a:]. It fails if n
// exceeds len(sets).
func SampleLabelSets(sets [][]int, n int, seed uint64) ([][]int, error) {
	if n < 0 || n > len(sets) {
		return nil, fmt.Errorf("synth: sample of %d label sets from %d", n, len(sets))
	}
	rng := rand.New(rand.NewPCG(seed, 0x1abe15e7))
	perm := rng.Perm(len(sets))
	out := make([][]int, n)
	for i := range out {
		out[i] = sets[perm[i]]
	}
	return out, nil
}

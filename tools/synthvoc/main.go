// Command synthvoc writes a VOC-layout data set whose images are synthetic
// but whose label sets are a real data set's: VOC 2007's label lists
// (labels_trainval.txt, labels_test.txt, one image a line: "id class
// class ..."), sampled without replacement, each image drawn with one
// synthetic object per label (package synth, GenerateWithLabelSets). The
// classes are VOC's 20, class k drawn as synthetic object type k, so the
// set has VOC's class names, its label frequencies (person in 40% of the
// images, sheep in 2%) and its co-occurrence graph, without its images.
//
// docs/heads.md compares label embeddings on it and docs/PERFORMANCE.md
// measures int8 accuracy on it:
//
//	go run ./tools/synthvoc -labels DIR -out /tmp/voclabelsets
//	multilabel train -data /tmp/voclabelsets/VOCdevkit/VOC2007 -train train -val val -test test ...
//
// DIR holds labels_trainval.txt and labels_test.txt. Everything is
// deterministic from -seed: train and val are consecutive ranges of one
// sample of the trainval lists, test a sample of the test lists.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/synth"
)

func main() {
	labels := flag.String("labels", "", "folder with the VOC 2007 label lists labels_trainval.txt and labels_test.txt")
	out := flag.String("out", "voclabelsets", "folder to write VOCdevkit/VOC2007 into")
	nTrain := flag.Int("train", 1500, "train images (sampled from trainval)")
	nVal := flag.Int("val", 300, "val images (sampled from trainval, disjoint from train)")
	nTest := flag.Int("test", 600, "test images (sampled from test)")
	size := flag.Int("size", 96, "image side in pixels")
	seed := flag.Uint64("seed", 1, "seed of the sampling and the drawing")
	flag.Parse()
	if err := run(*labels, *out, *nTrain, *nVal, *nTest, *size, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "synthvoc:", err)
		os.Exit(1)
	}
}

func run(labels, out string, nTrain, nVal, nTest, size int, seed uint64) error {
	if labels == "" {
		return fmt.Errorf("-labels is required: the folder of labels_trainval.txt and labels_test.txt")
	}
	classes := data.VOCClasses
	trainval, err := synth.ReadLabelSets(filepath.Join(labels, "labels_trainval.txt"), classes)
	if err != nil {
		return err
	}
	test, err := synth.ReadLabelSets(filepath.Join(labels, "labels_test.txt"), classes)
	if err != nil {
		return err
	}
	tv, err := synth.SampleLabelSets(trainval, nTrain+nVal, seed)
	if err != nil {
		return fmt.Errorf("-train %d + -val %d: %w", nTrain, nVal, err)
	}
	te, err := synth.SampleLabelSets(test, nTest, seed)
	if err != nil {
		return fmt.Errorf("-test %d: %w", nTest, err)
	}
	ls := synth.LabelSets{Classes: classes, Train: tv[:nTrain], Val: tv[nTrain:], Test: te}
	total := nTrain + nVal + nTest
	root, err := synth.GenerateWithLabelSets(out, synth.Config{Seed: seed, Size: size}, ls, func(done, n int) {
		if done == n || done%500 == 0 {
			fmt.Fprintf(os.Stderr, "\rsynthvoc: %d/%d images", done, total)
		}
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	fmt.Println(root)
	return nil
}

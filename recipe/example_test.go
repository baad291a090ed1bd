package recipe_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/seed477ab429/multilabel/recipe"
	"github.com/seed477ab429/multilabel/synth"
)

// Run the training pipeline from Go, as `multilabel train -data DIR`
// does, on a tiny synthetic data set in the PASCAL VOC layout (20 classes;
// train, val and test lists). The run folder it writes is what
// multilabel.Load (the root package) reads. The scores of a 1-epoch run
// on 8 images mean nothing and depend on the CPU's kernels, so only their
// range is printed.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "recipe")
	defer os.RemoveAll(dir)
	voc, err := synth.Generate(filepath.Join(dir, "data"), synth.Config{Seed: 1, Size: 32, Train: 8, Val: 4, Test: 4}, nil)
	if err != nil {
		log.Fatal(err)
	}

	o := recipe.Defaults() // the command's defaults: efficientnetv2_t, ML-Decoder, AAM, AdamW
	o.Data = voc           // any layout of docs/data.md: a VOC or YOLO folder, a .csv, a .json
	o.Head = "pool"        // the smallest head, for a fast example
	o.Size, o.Batch, o.Epochs = 32, 8, 1
	o.Out, o.Name = filepath.Join(dir, "runs"), "tiny" // the run folder is runs/tiny-<date>-<time>
	o.Log, o.Stdout = io.Discard, io.Discard           // progress; the paper's table
	res, err := recipe.Run(context.Background(), o)
	if err != nil {
		log.Fatal(err) // recipe.IsInputError(err): the data or an option is wrong
	}

	fmt.Println(len(res.Spec.Classes), "classes,", res.Epochs, "epoch, best", res.BestEpoch)
	fmt.Println("test mAP in [0, 1]:", res.At05.MAP >= 0 && res.At05.MAP <= 1)
	for _, f := range []string{"model.json", "best.safetensors", "thresholds.json", "classes.txt", "report.html"} {
		if _, err := os.Stat(filepath.Join(res.RunDir, f)); err != nil {
			fmt.Println("missing", f)
		}
	}
	// Output:
	// 20 classes, 1 epoch, best 1
	// test mAP in [0, 1]: true
}

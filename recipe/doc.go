// Package recipe is the project's training pipeline from a data set path to
// a finished run folder, shared by `go run ./examples/voc` and
// `multilabel train/eval/thresholds`. Its phases, in order:
//
//  1. data: any layout data.Open reads (a VOC or YOLO folder, a COCO
//     instances JSON, the reference's JSON, a CSV file; docs/data.md),
//     train / val / test splits, a tenth held out when there is no
//     validation set (HoldOut);
//  2. model: models.Build from the knobs (backbone, head, loss), optional
//     pretrained weights, the label graph for the graph heads;
//  3. loaders: the reference's training transform (RandAugment, Cutout,
//     flip) on the training split, test transforms elsewhere;
//  4. train.Trainer (OneCycle SGD, optional SAM, EMA, checkpoints);
//  5. final evaluation: per-class thresholds tuned on the training split
//     with test transforms, the paper's table at 0.5 and with them;
//  6. the run folder: model.json, best.safetensors, last.safetensors,
//     thresholds.json, classes.txt, config.json, log.jsonl, curves.png,
//     pr_curves.png, report.html and examples/.
//
// Options holds every knob with the laptop defaults, the paper's VOC recipe
// one field away (Paper). Run executes the whole thing; Score, Table and
// WriteThresholds are the pieces the evaluation commands reuse on a saved
// run. Errors in what the user asked for (a path that is not a data set,
// unreadable weights) are InputError values, so a command line can exit
// with status 2 and one line.
package recipe

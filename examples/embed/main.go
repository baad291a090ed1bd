// Command embed shows how a Go service uses a trained model: load a run
// folder once, then classify images through the package multilabel API.
//
//	go run ./examples/voc                       # train a model first (writes runs/voc-<time>/)
//	go run ./examples/embed -run runs/voc-<time> image.jpg [more.jpg ...]
//
// It prints, for each image, the classes above their tuned thresholds with
// their scores. With -json it prints one JSON object per image.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/seed477ab429/multilabel"
)

func main() {
	runDir := flag.String("run", "", "run folder written by examples/voc or multilabel train")
	asJSON := flag.Bool("json", false, "print JSON lines")
	flag.Parse()
	if *runDir == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: embed -run RUN_FOLDER image [image ...]")
		os.Exit(2)
	}
	model, err := multilabel.Load(*runDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(2)
	}
	status := 0
	for _, path := range flag.Args() {
		labels, err := model.ClassifyFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "embed:", err)
			status = 1
			continue
		}
		if *asJSON {
			b, _ := json.Marshal(map[string]any{"image": path, "labels": labels})
			fmt.Println(string(b))
			continue
		}
		fmt.Printf("%s:", path)
		for _, l := range labels {
			fmt.Printf(" %s (%.2f)", l.Class, l.Score)
		}
		fmt.Println()
	}
	os.Exit(status)
}

// Command embed shows how a Go program uses a trained model: load a run
// folder once, then classify many images from several goroutines sharing
// that one Model (it is safe for concurrent use), with Ctrl-C cancelling
// the work in flight through a context.
//
//	go run ./examples/voc                       # train a model first (writes runs/voc-<time>/)
//	go run ./examples/embed -run runs/voc-<time> image.jpg [more.jpg ...]
//
// It prints, for each image in the order given, the classes above their
// tuned thresholds with their scores; with -json one JSON object per image,
// as `multilabel predict -json` prints them. examples/serve is the same
// model behind an HTTP service.
//
// To ship the model inside the binary, copy the run folder's model.json,
// best.safetensors and thresholds.json into a folder of your package and
// load it with LoadFS:
//
//	//go:embed model
//	var modelFS embed.FS
//
//	m, err := multilabel.LoadFS(modelFS, "model")
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"

	"github.com/seed477ab429/multilabel"
)

func main() {
	runDir := flag.String("run", "", "run folder written by examples/voc or multilabel train")
	asJSON := flag.Bool("json", false, "print JSON lines")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "goroutines classifying images")
	flag.Parse()
	if *runDir == "" || flag.NArg() == 0 || *workers < 1 {
		fmt.Fprintln(os.Stderr, "usage: embed -run RUN_FOLDER [-json] [-workers N] image [image ...]")
		os.Exit(2)
	}
	model, err := multilabel.Load(*runDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// Workers take image indices from jobs and write their answer into
	// the image's own slot, so the output keeps the input order.
	paths := flag.Args()
	type answer struct {
		labels []multilabel.Label
		err    error
	}
	answers := make([]answer, len(paths))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				answers[i].labels, answers[i].err = classify(ctx, model, paths[i])
			}
		}()
	}
	for i := range paths {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	status := 0
	for i, path := range paths {
		a := answers[i]
		if a.err != nil {
			fmt.Fprintln(os.Stderr, "embed:", a.err)
			status = 1
			continue
		}
		if *asJSON {
			b, _ := json.Marshal(struct {
				Image  string             `json:"image"`
				Labels []multilabel.Label `json:"labels"`
			}{path, a.labels})
			fmt.Println(string(b))
			continue
		}
		var line strings.Builder
		fmt.Fprintf(&line, "%s:", path)
		for _, l := range a.labels {
			fmt.Fprintf(&line, " %s (%.2f)", l.Class, l.Score)
		}
		fmt.Println(line.String())
	}
	os.Exit(status)
}

// classify decodes one image file as multilabel.Decode does (EXIF
// orientation applied) and classifies it unless ctx is done.
func classify(ctx context.Context, m *multilabel.Model, path string) ([]multilabel.Label, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := multilabel.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	labels, err := m.ClassifyContext(ctx, img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return labels, nil
}

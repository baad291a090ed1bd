// Command wasm is the in-browser classifier of docs/deploy.md: built with
// GOOS=js GOARCH=wasm, it runs the inference package (package multilabel
// and the engine under it, pure Go) inside a web page. The page
// (web/index.html) fetches a run folder's model.json, best.safetensors and
// thresholds.json, hands them to load, then classifies each image the user
// drops or picks: the labels above their per-class thresholds with scores,
// and the time it took.
//
//	go run ./examples/wasm/serve                  # builds this, serves the newest runs/voc-*
//	go run ./examples/wasm/serve -run runs/voc-20261125-191230 -addr 127.0.0.1:8080
//
// app.go is the part that does not depend on the browser (tested natively
// and, with Node, as wasm); main_js.go binds it to JavaScript.
package main

import (
	"bytes"
	"cmp"
	"fmt"
	"image"
	"io"
	"slices"
	"time"

	"github.com/seed477ab429/multilabel"
)

// app holds the loaded model.
type app struct {
	model *multilabel.Model
}

// result is what classify returns to the page (as JSON).
type result struct {
	Labels []multilabel.Label `json:"labels"`          // above threshold, highest score first
	Top    []multilabel.Label `json:"top"`             // the five highest scores, above threshold or not
	Width  int                `json:"width"`           // of the image as decoded
	Height int                `json:"height"`          //
	Ms     float64            `json:"ms"`              // decode + resize + forward
	Error  string             `json:"error,omitempty"` // what went wrong, for the page to show
}

// load builds the model from a run folder's files: the spec, the weights
// and the thresholds (may be empty: 0.5 for every class). The weights are
// read straight into the network (multilabel.Read): in the page, from the
// download's stream as it arrives (jsStream), or from a Uint8Array at
// offsets (jsBytes).
func (a *app) load(spec []byte, weights io.Reader, thresholds []byte) error {
	if len(spec) == 0 {
		return fmt.Errorf("the run folder has no %s", multilabel.SpecFile)
	}
	if weights == nil {
		return fmt.Errorf("the run folder has no %s (did training finish an epoch?)", multilabel.WeightsFile)
	}
	var thr io.Reader
	if len(thresholds) > 0 {
		thr = bytes.NewReader(thresholds)
	}
	m, err := multilabel.Read(bytes.NewReader(spec), weights, thr)
	if err != nil {
		return err
	}
	a.model = m
	return nil
}

// classify decodes an image file's bytes and classifies it: the labels
// `multilabel predict` prints (score above the class's threshold, highest
// first) and the five best scores. A file that does not decode is an
// error in the result, never a panic.
func (a *app) classify(file []byte) result {
	if a.model == nil {
		return result{Error: "no model loaded"}
	}
	t0 := time.Now()
	img, err := multilabel.Decode(bytes.NewReader(file))
	if err != nil {
		return result{Error: fmt.Sprintf("the image could not be decoded (%v)", err)}
	}
	sc, err := a.model.Scores([]image.Image{img})
	if err != nil {
		return result{Error: err.Error()}
	}
	ms := float64(time.Since(t0).Microseconds()) / 1000
	classes, thr := a.model.Classes(), a.model.Thresholds()
	all := make([]multilabel.Label, len(classes))
	for j, c := range classes {
		all[j] = multilabel.Label{Class: c, Score: sc[0][j], Threshold: thr[j]}
	}
	slices.SortStableFunc(all, func(x, y multilabel.Label) int { return cmp.Compare(y.Score, x.Score) })
	r := result{Labels: []multilabel.Label{}, Top: all[:min(5, len(all))], Width: img.Bounds().Dx(), Height: img.Bounds().Dy(), Ms: ms}
	for _, l := range all {
		if l.Score > l.Threshold {
			r.Labels = append(r.Labels, l)
		}
	}
	return r
}

// info describes the loaded model for the page.
func (a *app) info() string {
	s := a.model.Spec()
	return fmt.Sprintf("%s + %s, %d classes, %dx%d input", s.Backbone, s.Head, len(s.Classes), s.Size, s.Size)
}

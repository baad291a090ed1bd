package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/seed477ab429/multilabel"
)

// config holds the service's limits.
type config struct {
	Timeout   time.Duration // per request, reading the upload included
	MaxBytes  int64         // request body
	MaxImages int           // images per request
	Slots     int           // images classified at once (forward passes in flight)
}

// server classifies uploaded images with one shared Model, which is safe
// for concurrent use; slots bounds the forward passes in flight, since
// each holds its own activations.
type server struct {
	model    *multilabel.Model
	cfg      config
	slots    chan struct{}
	inFlight atomic.Int64
	served   atomic.Int64
	started  time.Time
}

func newServer(m *multilabel.Model, cfg config) *server {
	return &server{model: m, cfg: cfg, slots: make(chan struct{}, cfg.Slots), started: time.Now()}
}

// handler routes /classify and /healthz.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /classify", s.classify)
	mux.HandleFunc("GET /healthz", s.health)
	return mux
}

// result is one image's answer: its labels above threshold, as
// `multilabel predict -json` prints them.
type result struct {
	Image  string             `json:"image,omitempty"` // the multipart file name
	Labels []multilabel.Label `json:"labels"`
}

type response struct {
	Results []result `json:"results"`
}

type errorResponse struct {
	Error string `json:"error"`
}

// httpError is an error with its status code.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func errorf(code int, format string, a ...any) error {
	return &httpError{code, fmt.Sprintf(format, a...)}
}

// classify answers POST /classify: the body is one image (any
// Content-Type but multipart), or multipart/form-data with one or more
// files. Each image is classified alone, exactly as `multilabel predict`
// classifies a file, within the request's deadline.
func (s *server) classify(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBytes)
	names, imgs, err := s.readImages(r)
	if err != nil {
		writeError(w, err)
		return
	}
	res := response{Results: make([]result, len(imgs))}
	for i, img := range imgs {
		labels, err := s.classifyOne(ctx, img)
		if err != nil {
			writeError(w, err)
			return
		}
		res.Results[i] = result{Image: names[i], Labels: labels}
	}
	s.served.Add(int64(len(imgs)))
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res)
}

// classifyOne waits for a slot, then classifies img; a deadline passed
// while waiting or before the forward pass is 503.
func (s *server) classifyOne(ctx context.Context, img image.Image) ([]multilabel.Label, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, deadline(ctx.Err())
	}
	s.inFlight.Add(1)
	defer func() {
		s.inFlight.Add(-1)
		<-s.slots
	}()
	labels, err := s.model.ClassifyContext(ctx, img)
	if err != nil {
		if ctx.Err() != nil {
			return nil, deadline(ctx.Err())
		}
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	return labels, nil
}

func deadline(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return errorf(http.StatusServiceUnavailable, "request deadline exceeded; retry later")
	}
	return errorf(http.StatusServiceUnavailable, "request cancelled")
}

// readImages decodes the uploaded images (EXIF orientation applied, as
// for files).
func (s *server) readImages(r *http.Request) (names []string, imgs []image.Image, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(mt, "multipart/") {
		img, err := s.decode(r.Body, "the request body")
		if err != nil {
			return nil, nil, err
		}
		return []string{""}, []image.Image{img}, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, errorf(http.StatusBadRequest, "multipart body: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, readError(err, "multipart body")
		}
		if part.FileName() == "" { // a plain form field
			part.Close()
			continue
		}
		if len(imgs) == s.cfg.MaxImages {
			return nil, nil, errorf(http.StatusRequestEntityTooLarge, "more than %d images in one request", s.cfg.MaxImages)
		}
		img, err := s.decode(part, part.FileName())
		part.Close()
		if err != nil {
			return nil, nil, err
		}
		names = append(names, part.FileName())
		imgs = append(imgs, img)
	}
	if len(imgs) == 0 {
		return nil, nil, errorf(http.StatusBadRequest, "no image files in the multipart body")
	}
	return names, imgs, nil
}

func (s *server) decode(r io.Reader, what string) (image.Image, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, readError(err, what)
	}
	if len(raw) == 0 {
		return nil, errorf(http.StatusBadRequest, "%s is empty: send an image", what)
	}
	img, err := multilabel.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%s: %v", what, err)
	}
	return img, nil
}

func readError(err error, what string) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return errorf(http.StatusRequestEntityTooLarge, "request body over %d bytes", mb.Limit)
	}
	return errorf(http.StatusBadRequest, "reading %s: %v", what, err)
}

func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var he *httpError
	if errors.As(err, &he) {
		code = he.code
	}
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(errorResponse{err.Error()})
}

// health answers GET /healthz: the model and the load.
func (s *server) health(w http.ResponseWriter, r *http.Request) {
	spec := s.model.Spec()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		Status   string   `json:"status"`
		Backbone string   `json:"backbone"`
		Head     string   `json:"head"`
		Size     int      `json:"size"`
		Classes  []string `json:"classes"`
		InFlight int64    `json:"in_flight"`
		Slots    int      `json:"slots"`
		Served   int64    `json:"images_served"`
		Uptime   float64  `json:"uptime_s"`
	}{"ok", spec.Backbone, spec.Head, spec.Size, spec.Classes, s.inFlight.Load(), cap(s.slots), s.served.Load(),
		time.Since(s.started).Seconds()})
}

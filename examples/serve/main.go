// Command serve is an HTTP service that classifies uploaded images with a
// trained model: one multilabel.Model shared by every request, requests
// served concurrently, each within a deadline.
//
//	go run ./examples/voc                              # train a model first (writes runs/voc-<time>/)
//	go run ./examples/serve -run runs/voc-<time>       # listen on localhost:8080
//
//	curl --data-binary @dog.jpg localhost:8080/classify
//	{"results":[{"labels":[{"class":"dog","score":0.97,"threshold":0.41}]}]}
//
//	curl -F image=@a.jpg -F image=@b.jpg localhost:8080/classify
//	{"results":[{"image":"a.jpg","labels":[...]},{"image":"b.jpg","labels":[]}]}
//
//	curl localhost:8080/healthz
//	{"status":"ok","backbone":"efficientnetv2_t","head":"mldecoder","size":128,"classes":[...],...}
//
// POST /classify takes one image as the request body, or several as the
// files of a multipart/form-data body. Each image is decoded as `multilabel
// predict` decodes a file (EXIF orientation applied) and classified alone,
// so the answers are the command's, bit for bit. The labels are the
// classes above the run's tuned thresholds, highest score first; [] when
// none is.
//
// Errors are JSON {"error": "..."} with a status: 400 for a body that is
// not an image, 413 for a body over -max-bytes or more than -max-images
// files, 503 (with Retry-After) when the request's -timeout passes before
// its images are classified. At most -slots images are classified at once
// (default: one per two CPUs, at least one: a forward pass already runs its
// matrix products on every core, and on 2 cores one slot gave the same or
// more images per second than two, with shorter tails; docs/PERFORMANCE.md);
// further requests wait for a slot within their deadline. SIGINT or SIGTERM stops the service after the requests in
// flight.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/seed477ab429/multilabel"
)

func main() {
	runDir := flag.String("run", "", "run folder written by examples/voc or multilabel train")
	addr := flag.String("addr", "localhost:8080", "address to listen on")
	timeout := flag.Duration("timeout", 10*time.Second, "deadline of a request, from its arrival to its answer")
	maxBytes := flag.Int64("max-bytes", 32<<20, "largest request body in bytes")
	maxImages := flag.Int("max-images", 16, "most images in one request")
	slots := flag.Int("slots", defaultSlots(), "images classified at once (forward passes in flight)")
	flag.Parse()
	if *runDir == "" || flag.NArg() > 0 || *slots < 1 || *maxImages < 1 || *timeout <= 0 {
		fmt.Fprintln(os.Stderr, "usage: serve -run RUN_FOLDER [-addr localhost:8080] [-timeout 10s] [-slots N]")
		os.Exit(2)
	}
	m, err := multilabel.Load(*runDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(2)
	}
	s := newServer(m, config{Timeout: *timeout, MaxBytes: *maxBytes, MaxImages: *maxImages, Slots: *slots})
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(2)
	}
	spec := m.Spec()
	log.Printf("serving %s (%s + %s, %d classes, %d px) on http://%s with %d slots",
		*runDir, spec.Backbone, spec.Head, len(spec.Classes), spec.Size, ln.Addr(), *slots)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}
	log.Print("shutting down: finishing the requests in flight")
	shut, cancel := context.WithTimeout(context.Background(), *timeout+time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// defaultSlots is one slot per two CPUs, at least one (see the doc above).
func defaultSlots() int { return max(1, runtime.GOMAXPROCS(0)/2) }

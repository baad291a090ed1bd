// Command gemm benchmarks ops.Sgemm against gonum's blas32.Gemm, on square
// sizes and on the GEMM shapes of the classifier's convolutions, at 1 and 2
// threads, and measures the machine's FMA peak for scale.
//
//	go run ./bench/gemm -json           one JSON object per line
//	go run ./bench/gemm                 a table
//	go run ./bench/gemm -t 2 -shapes 512x512x512 -nogonum   selected points
//	python3 bench/openblas_gemm.py      the same shapes through OpenBLAS
//
// Every product is C[m,n] = A[m,k] * B[k,n], row-major, no transposes,
// alpha 1, beta 0. Each point is the median GFLOPS (2*m*n*k / seconds) of
// several timed runs, each run repeating the product until it lasts about
// 50 ms. The worker pool of ops is sized once, at first use, from
// GOMAXPROCS, so each thread count runs in a child process of this program
// (-threads N) that sets GOMAXPROCS before touching ops.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/seed477ab429/multilabel/ops"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// Result is one output line.
type Result struct {
	Impl    string  `json:"impl"` // "multilabel", "gonum", or "peak" (the FMA probe; m=n=k=0)
	M       int     `json:"m"`
	N       int     `json:"n"`
	K       int     `json:"k"`
	Threads int     `json:"threads"`
	GFLOPS  float64 `json:"gflops"`
	Best    float64 `json:"gflops_best,omitempty"` // fastest run: less affected by other load on a shared machine
	// CPU is FLOP per CPU-second this process used over the timed runs. On
	// a busy machine, where the OS may give two threads little more than
	// one core, gflops at 2 threads says little; gflops_cpu at 2 threads
	// over gflops_cpu at 1 says what the parallel split costs in work
	// (spinning, duplicate packing, cache traffic), though not in waiting.
	CPU      float64 `json:"gflops_cpu,omitempty"`
	PeakFrac float64 `json:"peak_frac,omitempty"` // gflops / measured peak at this thread count
	Kernel   string  `json:"kernel,omitempty"`
}

// Shapes as {m, k, n}, the order the issue lists them in.
var squares = []int{64, 128, 256, 512, 1024, 2048}

var convShapes = [][3]int{
	{12544, 144, 24}, {3136, 576, 64}, {784, 1152, 128}, {196, 2304, 256},
	{50176, 27, 24}, {3136, 64, 256}, {784, 256, 1024},
}

func main() {
	asJSON := flag.Bool("json", false, "print one JSON object per line")
	threads := flag.Int("threads", 0, "run in this process with this many threads (child mode)")
	runs := flag.Int("runs", 5, "timed runs per point (the median is reported)")
	noGonum := flag.Bool("nogonum", false, "skip gonum")
	only := flag.String("shapes", "", "comma-separated m x k x n shapes to run instead of the default list, e.g. 512x512x512")
	tlist := flag.String("t", "1,2", "comma-separated thread counts to run")
	flag.Parse()

	if *threads > 0 {
		child(*threads, *runs, !*noGonum, *only)
		return
	}
	if !*asJSON {
		fmt.Printf("%-12s %6s %6s %6s %3s %9s %6s\n", "impl", "m", "k", "n", "thr", "GFLOPS", "%peak")
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gemm:", err)
		os.Exit(1)
	}
	for _, ts := range strings.Split(*tlist, ",") {
		t, err := strconv.Atoi(ts)
		if err != nil || t < 1 {
			fmt.Fprintf(os.Stderr, "gemm: -t %q: want thread counts like 1,2\n", *tlist)
			os.Exit(2)
		}
		args := []string{"-threads", strconv.Itoa(t), "-runs", strconv.Itoa(*runs), "-shapes", *only}
		if *noGonum {
			args = append(args, "-nogonum")
		}
		cmd := exec.Command(exe, args...)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			fmt.Fprintln(os.Stderr, "gemm:", err)
			os.Exit(1)
		}
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "gemm:", err)
			os.Exit(1)
		}
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if *asJSON {
				fmt.Println(sc.Text())
				continue
			}
			var r Result
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				fmt.Printf("%-12s %6d %6d %6d %3d %9.1f %6.1f\n", r.Impl, r.M, r.K, r.N, r.Threads, r.GFLOPS, 100*r.PeakFrac)
			}
		}
		if err := cmd.Wait(); err != nil {
			fmt.Fprintln(os.Stderr, "gemm: child:", err)
			os.Exit(1)
		}
	}
}

func child(threads, runs int, withGonum bool, only string) {
	runtime.GOMAXPROCS(threads)
	enc := json.NewEncoder(os.Stdout)
	peak := measurePeak(threads)
	enc.Encode(Result{Impl: "peak", Threads: threads, GFLOPS: peak, PeakFrac: 1})

	var shapes [][3]int
	if only != "" {
		for _, s := range strings.Split(only, ",") {
			var m, k, n int
			if _, err := fmt.Sscanf(s, "%dx%dx%d", &m, &k, &n); err != nil {
				fmt.Fprintf(os.Stderr, "gemm: -shapes %q: want MxKxN: %v\n", s, err)
				os.Exit(2)
			}
			shapes = append(shapes, [3]int{m, k, n})
		}
	} else {
		for _, s := range squares {
			shapes = append(shapes, [3]int{s, s, s})
		}
		shapes = append(shapes, convShapes...)
	}
	for _, sh := range shapes {
		m, k, n := sh[0], sh[1], sh[2]
		rng := rand.New(rand.NewPCG(uint64(m), uint64(n*k)))
		a, b, c := randf(rng, m*k), randf(rng, k*n), make([]float32, m*n)
		flop := 2 * float64(m) * float64(n) * float64(k)
		emit := func(impl, kern string, f func()) {
			times, cpu := timeRuns(runs, f)
			g := flop / median(times) / 1e9
			r := Result{Impl: impl, M: m, N: n, K: k, Threads: threads, GFLOPS: round1(g), Kernel: kern,
				Best: round1(flop / slices.Min(times) / 1e9)}
			if cpu > 0 {
				r.CPU = round1(flop / cpu / 1e9)
			}
			if peak > 0 {
				r.PeakFrac = round3(g / peak)
			}
			enc.Encode(r)
		}
		emit("multilabel", ops.GemmKernelFor(n), func() {
			ops.Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		})
		if withGonum {
			ga := blas32.General{Rows: m, Cols: k, Stride: k, Data: a}
			gb := blas32.General{Rows: k, Cols: n, Stride: n, Data: b}
			gc := blas32.General{Rows: m, Cols: n, Stride: n, Data: c}
			emit("gonum", "", func() { blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, ga, gb, 0, gc) })
		}
	}
}

// timeRuns returns the seconds per call of f in each of runs timed runs,
// after one warm-up call (a run repeats f until it lasts ~50 ms), and the
// process CPU seconds per call over all the timed runs (0 if unknown).
func timeRuns(runs int, f func()) (perCall []float64, cpuPerCall float64) {
	t0 := time.Now()
	f()
	reps := max(1, int(50*time.Millisecond/max(time.Since(t0), time.Microsecond)))
	perCall = make([]float64, runs)
	c0 := cpuSeconds()
	for r := range perCall {
		t := time.Now()
		for range reps {
			f()
		}
		perCall[r] = time.Since(t).Seconds() / float64(reps)
	}
	return perCall, (cpuSeconds() - c0) / float64(runs*reps)
}

// measurePeak runs the FMA probe (peak_amd64.s) on `threads` goroutines
// at once and returns the best of 5 aggregate GFLOPS (0 without AVX-512).
func measurePeak(threads int) float64 {
	const n = 20_000_000 // 7.7 GFLOP per goroutine: ~70 ms on one Zen 4 core
	best := 0.0
	for range 5 {
		var wg sync.WaitGroup
		flops := make([]float64, threads)
		t := time.Now()
		for i := range threads {
			wg.Add(1)
			go func() { defer wg.Done(); flops[i] = fmaProbe(n) }()
		}
		wg.Wait()
		sec := time.Since(t).Seconds()
		total := 0.0
		for _, f := range flops {
			total += f
		}
		best = max(best, total/sec/1e9)
	}
	return round1(best)
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

func randf(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }
func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

package ops

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// A table of the products a program runs.
//
// Between StartGemmStats and StopGemmStats every call of Sgemm,
// SgemmSerial, SgemmRowsB and SgemmRowsBSerial is counted by its entry
// point and shape, with the wall time spent inside the call: the table a
// profiler cannot give, since a CPU profile names the micro-kernel but
// not the shape, and the shape decides how well the kernel runs (a
// product with K = 68 and one with K = 1024 run the same kernel).
// bench/step -gemmstats writes it for a training step's timed window.
//
// The time is wall time inside the call, so products that run at the
// same time (a convolution's loop running one product per thread, or two
// products sharing the pool) each count the whole of their own calls:
// their sum can exceed the window's wall time, and a product that shared
// the cores with another shows about half its rate alone. Compare rows of
// the same entry point, or the shares of one table, not a row against a
// standalone benchmark.
//
// Off, the cost is one atomic load per product.

// GemmStat is one row of the table: the calls of one entry point with one
// shape.
type GemmStat struct {
	Op             string // Sgemm, SgemmSerial, SgemmRowsB or SgemmRowsBSerial
	TransA, TransB bool
	M, N, K        int
	Calls          int
	Time           time.Duration // summed wall time inside the calls
}

// FLOPs is the row's floating-point operations, 2·M·N·K a call.
func (s GemmStat) FLOPs() float64 {
	return 2 * float64(s.M) * float64(s.N) * float64(s.K) * float64(s.Calls)
}

// GFLOPS is the row's rate over its wall time (0 with no time).
func (s GemmStat) GFLOPS() float64 {
	if s.Time <= 0 {
		return 0
	}
	return s.FLOPs() / s.Time.Seconds() / 1e9
}

type gemmStatKey struct {
	op             string
	transA, transB bool
	m, n, k        int
}

var (
	gemmStatsOn atomic.Bool
	gemmStatsMu sync.Mutex
	gemmStats   map[gemmStatKey]*GemmStat
)

// StartGemmStats starts a new table (an earlier one is dropped).
func StartGemmStats() {
	gemmStatsMu.Lock()
	gemmStats = map[gemmStatKey]*GemmStat{}
	gemmStatsMu.Unlock()
	gemmStatsOn.Store(true)
}

// StopGemmStats stops counting and returns the table, the rows with the
// most time first (ties by shape, so the order is fixed). Calls still
// running when it is called may or may not be counted.
func StopGemmStats() []GemmStat {
	gemmStatsOn.Store(false)
	gemmStatsMu.Lock()
	defer gemmStatsMu.Unlock()
	rows := make([]GemmStat, 0, len(gemmStats))
	for _, s := range gemmStats {
		rows = append(rows, *s)
	}
	gemmStats = nil
	slices.SortFunc(rows, func(a, b GemmStat) int {
		return cmp.Or(cmp.Compare(b.Time, a.Time), cmp.Compare(a.Op, b.Op), cmp.Compare(a.M, b.M),
			cmp.Compare(a.N, b.N), cmp.Compare(a.K, b.K), cmpBool(a.TransA, b.TransA), cmpBool(a.TransB, b.TransB))
	})
	return rows
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// countGemm adds one call that started at t0; the entry points call it
// deferred, only while counting (gemmStatsOn).
func countGemm(op string, transA, transB bool, m, n, k int, t0 time.Time) {
	d := time.Since(t0)
	key := gemmStatKey{op, transA, transB, m, n, k}
	gemmStatsMu.Lock()
	defer gemmStatsMu.Unlock()
	if gemmStats == nil { // stopped while the call ran
		return
	}
	s := gemmStats[key]
	if s == nil {
		s = &GemmStat{Op: op, TransA: transA, TransB: transB, M: m, N: n, K: k}
		gemmStats[key] = s
	}
	s.Calls++
	s.Time += d
}

// WriteGemmStats writes the table as text: a header with the totals, then
// one line a row with its share of the summed time.
func WriteGemmStats(w io.Writer, rows []GemmStat) error {
	var total time.Duration
	var flops float64
	for _, s := range rows {
		total += s.Time
		flops += s.FLOPs()
	}
	if _, err := fmt.Fprintf(w, "%d shapes, %.3f s in the calls (summed over concurrent calls), %.2f GFLOP\n",
		len(rows), total.Seconds(), flops/1e9); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "%-16s %2s %2s %6s %6s %6s %7s %9s %6s %8s\n",
		"op", "tA", "tB", "M", "N", "K", "calls", "time s", "share", "GFLOPS"); err != nil {
		return err
	}
	for _, s := range rows {
		share := 0.0
		if total > 0 {
			share = 100 * s.Time.Seconds() / total.Seconds()
		}
		if _, err := fmt.Fprintf(w, "%-16s %2s %2s %6d %6d %6d %7d %9.3f %5.1f%% %8.1f\n",
			s.Op, yn(s.TransA), yn(s.TransB), s.M, s.N, s.K, s.Calls, s.Time.Seconds(), share, s.GFLOPS()); err != nil {
			return err
		}
	}
	return nil
}

func yn(b bool) string {
	if b {
		return "T"
	}
	return "N"
}

package ops

import (
	"strings"
	"sync"
	"testing"
)

// TestGemmStats checks the product table: every entry point counted by
// shape and transposition, nothing outside the window, rows in a fixed
// order with the most time first, and the text table.
func TestGemmStats(t *testing.T) {
	a := make([]float32, 64*64)
	b := make([]float32, 64*64)
	c := make([]float32, 64*64)
	rows := make([]int, 16)
	for r := range rows {
		rows[r] = 2 * r
	}
	Sgemm(false, false, 8, 8, 8, 1, a, 8, b, 8, 0, c, 8) // before the window: not counted

	StartGemmStats()
	for range 3 {
		Sgemm(false, false, 64, 32, 16, 1, a, 16, b, 32, 0, c, 32)
	}
	Sgemm(false, true, 64, 32, 16, 1, a, 16, b, 16, 0, c, 32)
	Sgemm(false, false, 0, 32, 16, 1, a, 16, b, 32, 0, c, 32) // empty: not counted
	SgemmSerial(true, false, 48, 32, 16, 1, a, 48, b, 32, 1, c, 32)
	SgemmRowsB(8, 24, 16, 1, a, 16, b, rows, 0, c, 24)
	var wg sync.WaitGroup // concurrent calls (race detector)
	for range 4 {
		wg.Go(func() {
			out := make([]float32, 8*24)
			SgemmRowsBSerial(8, 24, 16, 1, a, 16, b, rows, 0, out, 24)
		})
	}
	wg.Wait()
	st := StopGemmStats()
	Sgemm(false, false, 64, 32, 16, 1, a, 16, b, 32, 0, c, 32) // after: not counted

	type key struct {
		op     string
		ta, tb bool
		m      int
	}
	want := map[key]int{
		{"Sgemm", false, false, 64}:           3,
		{"Sgemm", false, true, 64}:            1,
		{"SgemmSerial", true, false, 48}:      1,
		{"SgemmRowsB", false, false, 8}:       1,
		{"SgemmRowsBSerial", false, false, 8}: 4,
	}
	if len(st) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(st), len(want), st)
	}
	for i, s := range st {
		if n, ok := want[key{s.Op, s.TransA, s.TransB, s.M}]; !ok || n != s.Calls {
			t.Errorf("row %+v: want %d calls (0: no such row)", s, n)
		}
		if s.Time <= 0 {
			t.Errorf("row %+v: no time", s)
		}
		if i > 0 && st[i-1].Time < s.Time {
			t.Errorf("rows %d, %d not by time: %v < %v", i-1, i, st[i-1].Time, s.Time)
		}
		if got, w := s.FLOPs(), 2*float64(s.M*s.N*s.K*s.Calls); got != w {
			t.Errorf("row %+v: FLOPs %g, want %g", s, got, w)
		}
		if s.GFLOPS() <= 0 {
			t.Errorf("row %+v: GFLOPS %g", s, s.GFLOPS())
		}
	}
	if (GemmStat{M: 1, N: 1, K: 1, Calls: 1}).GFLOPS() != 0 {
		t.Error("a row without time has a rate")
	}

	var sb strings.Builder
	if err := WriteGemmStats(&sb, st); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(sb.String()), "\n")
	if len(lines) != 2+len(st) || !strings.HasPrefix(lines[0], "5 shapes,") {
		t.Fatalf("table:\n%s", sb.String())
	}
	for _, l := range lines[2:] {
		if f := strings.Fields(l); len(f) != 10 || !strings.HasSuffix(f[8], "%") {
			t.Errorf("table line %q: want 10 fields with a share", l)
		}
	}

	// A new window starts empty.
	StartGemmStats()
	if st := StopGemmStats(); len(st) != 0 {
		t.Errorf("a new window holds %d rows", len(st))
	}
}

package ops

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestSgemmBitsAcrossGOMAXPROCS runs this test binary again as a child
// process at GOMAXPROCS 1, 2 and 4 (the worker pool is sized from GOMAXPROCS
// once, at first use, so only a fresh process can change it), each time with
// the default blocking and with forced block sizes (forceGemmBlocking: NC,
// the packed-B limit that cuts NC for deep products, and packed instead of
// in-place A). Each child runs a set of products through the
// public Sgemm (all four transpose combinations, alpha/beta variants, deep,
// wide, skinny and GEMV shapes) and prints one hash of all the result bits;
// every child must print the same hash. The test runs on whatever kernel
// path the build has: assembly (AVX-512 or AVX2), -tags purego, or
// MULTILABEL_NOASM=1.
func TestSgemmBitsAcrossGOMAXPROCS(t *testing.T) {
	if os.Getenv("OPS_GEMM_BITS_CHILD") == "1" {
		blocked, thin := sgemmBitsHash()
		fmt.Printf("GEMMHASH %s %016x %016x\n", GemmKernel(), blocked, thin)
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	run := func(procs int, env ...string) (kern, hash string) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestSgemmBitsAcrossGOMAXPROCS$", "-test.count=1")
		cmd.Env = append(append(os.Environ(), "OPS_GEMM_BITS_CHILD=1", "GOMAXPROCS="+strconv.Itoa(procs)), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child GOMAXPROCS=%d %q: %v\n%s", procs, env, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) == 4 && f[0] == "GEMMHASH" {
				return f[1], f[2] + " " + f[3]
			}
		}
		t.Fatalf("child GOMAXPROCS=%d %q printed no hash:\n%s", procs, env, out)
		return "", ""
	}
	blockings := []string{
		"",                         // the plan cpuid chose
		"nc=1,bmax=1",              // blocks one micro-panel wide
		"nc=3,bmax=0",              // 3 micro-panels, no packed-B limit
		"nc=4096,bmax=64,packonly", // packed B cut to 64 KC x NR panels, packed A everywhere
	}
	var want, wantFrom string
	for _, procs := range []int{1, 2, 4} {
		for _, bl := range blockings {
			if procs == 1 && bl != "" && bl != blockings[1] {
				continue // one thread: the blocking alone (covered at 2 and 4 too)
			}
			kern, hash := run(procs, "OPS_GEMM_FORCE="+bl)
			from := fmt.Sprintf("GOMAXPROCS=%d blocking %q (kernel %s)", procs, bl, kern)
			t.Logf("%s: %s", from, hash)
			if want == "" {
				want, wantFrom = hash, from
			} else if hash != want {
				t.Errorf("%s: result hashes %s, %s gives %s", from, hash, wantFrom, want)
			}
		}
	}
	// The other micro-kernels this build can run, forced at GOMAXPROCS 2:
	// the AVX2 kernel must give the AVX-512 kernels' bits on the blocked
	// products (the first hash; the GEMV products of the second go through
	// the vector dot/axpy code, not the micro-kernels). The pure-Go kernel
	// does not fuse multiply and add, so its bits differ; it is logged.
	wantBlocked, _, _ := strings.Cut(want, " ")
	kerns := []gemmKernel{goKernel}
	if !noasm {
		kerns = append(asmGemmKernels(), goKernel)
	}
	for _, k := range kerns {
		kern, hash := run(2, "OPS_GEMM_KERNEL="+k.name, "OPS_GEMM_FORCE=nc=3,bmax=0")
		blocked, _, _ := strings.Cut(hash, " ")
		t.Logf("kernel %s forced: %s (blocked products same as the default: %v)", kern, hash, blocked == wantBlocked)
		if kern != goKernel.name && blocked != wantBlocked {
			t.Errorf("kernel %s: blocked-product hash %s, %s gives %s", kern, blocked, wantFrom, wantBlocked)
		}
	}
}

// sgemmBitsHash applies OPS_GEMM_KERNEL (a micro-kernel by name) and
// OPS_GEMM_FORCE (forceGemmBlocking), checks that the pool has GOMAXPROCS
// threads, runs the products and hashes their bits: the blocked products
// and the GEMV ones (m or n = 1) separately.
func sgemmBitsHash() (blocked, thin uint64) {
	if name := os.Getenv("OPS_GEMM_KERNEL"); name != "" {
		found := false
		for _, k := range append(asmGemmKernels(), goKernel) {
			if k.name == name {
				activeGemm, found = newGemmPlan(k), true
			}
		}
		if !found {
			panic("OPS_GEMM_KERNEL: no kernel " + name)
		}
	}
	if err := forceGemmBlocking(os.Getenv("OPS_GEMM_FORCE")); err != nil {
		panic(err)
	}
	if Threads() != runtime.GOMAXPROCS(0) {
		panic(fmt.Sprintf("pool has %d threads, GOMAXPROCS is %d", Threads(), runtime.GOMAXPROCS(0)))
	}
	rng := rand.New(rand.NewPCG(31, 32))
	h, ht := fnv.New64a(), fnv.New64a()
	shapes := [][3]int{ // m, n, k
		{300, 700, 520}, // 3 K blocks, several B blocks when NC is forced small
		{97, 83, 301},
		{12544 / 16, 24, 144}, // a convolution's narrow N
		{196, 256, 2304},      // deep K: 9 K blocks
		{33, 1000, 40},        // skinny M: units split over N
		{1, 700, 1500},        // GEMV paths
		{1500, 1, 1000},
	}
	for si, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for v := range 4 {
			tA, tB := v&1 == 1, v&2 == 2
			alpha, beta := [4]float32{1, 1, 0.5, -1.25}[v], [4]float32{0, 1, 0, 1}[(v+si)%4]
			lda, ldb := k, n
			if tA {
				lda = m
			}
			if tB {
				ldb = k
			}
			a, b, c := randSlice(rng, m*k), randSlice(rng, k*n), randSlice(rng, m*n)
			Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, n)
			w := h
			if m == 1 || n == 1 {
				w = ht
			}
			var buf [4]byte
			for _, x := range c {
				u := math.Float32bits(x)
				buf[0], buf[1], buf[2], buf[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
				w.Write(buf[:])
			}
		}
	}
	return h.Sum64(), ht.Sum64()
}

// forceGemmBlocking overrides the M/N blocking of the active plan (and of
// its narrow companion), the test hook for forcing block sizes: spec is a
// comma-separated list of nc=P (NC in micro-panels of NR columns), bmax=P
// (the packed-B limit in KC x NR panels, 0 = KC x NC) and packonly (pack A
// for every row of tiles). The M blocking (rows of MR x NR tiles, or parts
// of rows, claimed by threads) follows the thread count by itself. KC is
// never changed: it is the summation order.
func forceGemmBlocking(spec string) error {
	if spec == "" {
		return nil
	}
	for _, pl := range []*gemmPlan{&activeGemm, activeGemm.narrow} {
		if pl == nil {
			continue
		}
		panel := pl.kc * pl.kern.nr
		for _, f := range strings.Split(spec, ",") {
			name, val, _ := strings.Cut(f, "=")
			n, _ := strconv.Atoi(val)
			switch name {
			case "nc":
				pl.nc = n * pl.kern.nr
			case "bmax":
				pl.bmax = n * panel
			case "packonly":
				pl.packOnly = true
			default:
				return fmt.Errorf("OPS_GEMM_FORCE: unknown %q in %q", f, spec)
			}
		}
	}
	return nil
}

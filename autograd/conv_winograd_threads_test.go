package autograd_test

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	ag "github.com/seed477ab429/multilabel/autograd"
)

// The Winograd convolutions give the same bits at any thread count: this
// test reruns itself at GOMAXPROCS 1, 2 and 4 (the pool's size is fixed when
// it starts), each child hashing the output and both gradients of
// convolutions that take the Winograd forward and input gradient (64
// channels at 12x10 and 7x7, a batch split into two chunks, by F(2x2, 3x3)
// and by F(4x4, 3x3)), and compares.
func TestConvWinogradBitsAcrossThreads(t *testing.T) {
	if os.Getenv("AG_WINOGRAD_BITS_CHILD") == "1" {
		fmt.Printf("WINOHASH %016x\n", winogradBitsHash())
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	var want string
	for _, procs := range []int{1, 2, 4} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConvWinogradBitsAcrossThreads$", "-test.count=1")
		cmd.Env = append(os.Environ(), "AG_WINOGRAD_BITS_CHILD=1", "GOMAXPROCS="+strconv.Itoa(procs))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child GOMAXPROCS=%d: %v\n%s", procs, err, out)
		}
		var hash string
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "WINOHASH" {
				hash = f[1]
			}
		}
		if hash == "" {
			t.Fatalf("child GOMAXPROCS=%d printed no hash:\n%s", procs, out)
		}
		t.Logf("GOMAXPROCS=%d: %s", procs, hash)
		if want == "" {
			want = hash
		} else if hash != want {
			t.Errorf("GOMAXPROCS=%d hashes %s, GOMAXPROCS=1 %s", procs, hash, want)
		}
	}
}

func winogradBitsHash() uint64 {
	defer ag.SetWinograd(64, 1<<17)() // the default threshold; chunks of 3 images at 12x10
	h := fnv.New64a()
	put := func(xs []float32) {
		for _, x := range xs {
			b := math.Float32bits(x)
			h.Write([]byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)})
		}
	}
	rng := rand.New(rand.NewPCG(21, 22))
	for _, s := range [][4]int{{5, 12, 10, 2}, {3, 7, 7, 2}, {5, 12, 10, 4}, {3, 7, 7, 4}} {
		restore := ag.SetWinogradTile(s[3])
		x := ag.RandN(rng, s[0], 64, s[1], s[2])
		w := ag.RandN(rng, 72, 64, 3, 3)
		b := ag.RandN(rng, 72)
		for _, p := range []*ag.Tensor{x, w, b} {
			p.SetRequiresGrad(true)
		}
		y := ag.Conv2d(x, w, b, ag.Conv2dOpts{}.WithPad(ag.SymPad(1)))
		y.BackwardWith(ag.RandN(rng, y.Shape...).Data)
		put(y.Data)
		put(x.Grad)
		put(w.Grad)
		restore()
	}
	return h.Sum64()
}

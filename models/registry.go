package models

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Options are what every backbone constructor accepts. The zero value is
// "the model's defaults, no classifier, seed 0".
type Options struct {
	// NumClasses is the size of the ImageNet-style classifier; 0 builds
	// the backbone without one (what a multilabel head wants).
	NumClasses int
	// Seed seeds the weight initialisation.
	Seed uint64
	// Dropout before the classifier and the stochastic-depth rate: 0 keeps
	// the model's default (EfficientNetV2: S 0.2 / M 0.3 / L 0.4, drop
	// path 0.2); a negative value turns it off.
	Dropout, DropPath float32
	// NoInit skips the random initialisation: the parameters are left
	// zero (BatchNorm's γ and running variance one). For a model whose
	// every weight is loaded from a file next (multilabel.Load does this),
	// it saves drawing millions of random numbers that would be
	// overwritten. The registered backbones and Build honour it; a
	// Constructor registered elsewhere may ignore it.
	NoInit bool
}

// initRNG is the random source of a model's initialisation from seed and
// a per-model stream, or nil (nn's fills then leave the zeros) for noInit.
func initRNG(noInit bool, seed, stream uint64) *rand.Rand {
	if noInit {
		return nil
	}
	return rand.New(rand.NewPCG(seed, stream))
}

// randN is autograd.RandN (the same numbers) that leaves zeros for a nil
// rng (Options.NoInit).
func randN(rng *rand.Rand, shape ...int) *ag.Tensor {
	t := ag.Zeros(shape...)
	nn.Normal(t, rng, 0, 1)
	return t
}

// rate resolves an Options rate against a model default.
func rate(v, def float32) float32 {
	switch {
	case v < 0:
		return 0
	case v == 0:
		return def
	}
	return v
}

// Constructor builds a backbone from options.
type Constructor func(o Options) (Backbone, error)

type registryEntry struct {
	build Constructor
	doc   string
}

var (
	registryMu sync.RWMutex
	registry   = map[string]registryEntry{}
)

// Register adds a backbone under name with a one-line description. Each
// model family registers its names from an init function in its own file
// (see efficientnetv2_registry.go), so adding a family touches no shared
// code. Registering a name twice panics: it is a programming error.
func Register(name, doc string, build Constructor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("models: backbone %q registered twice", name))
	}
	registry[name] = registryEntry{build: build, doc: doc}
}

// NewBackbone builds the named backbone. Unknown names give an error that
// lists the known ones.
func NewBackbone(name string, o Options) (Backbone, error) {
	registryMu.RLock()
	e, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("models: unknown backbone %q (known: %s)", name, strings.Join(BackboneNames(), ", "))
	}
	if o.NumClasses < 0 {
		return nil, fmt.Errorf("models: %s: negative number of classes %d", name, o.NumClasses)
	}
	return e.build(o)
}

// BackboneNames lists the registered names, sorted.
func BackboneNames() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// BackboneDoc returns the one-line description of a registered name.
func BackboneDoc(name string) string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return registry[name].doc
}

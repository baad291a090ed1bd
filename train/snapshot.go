package train

import (
	"fmt"

	"github.com/seed477ab429/multilabel/nn"
)

// Snapshot is an in-memory copy of every tensor of a module's state:
// parameters and buffers (BatchNorm running statistics, frozen queries)
// alike, in visiting order. The learning-rate search takes one before it
// trains and restores it before each trial and at the end, so the search
// leaves the model bit-for-bit as it found it (the reference rebuilds the
// model after its search and forgets to reload the pretrained weights,
// docs/method.md §5.6).
type Snapshot struct {
	names []string
	data  [][]float32
}

// TakeSnapshot copies m's current state.
func TakeSnapshot(m nn.Module) *Snapshot {
	s := &Snapshot{}
	for _, nt := range nn.Tensors(m) {
		s.names = append(s.names, nt.Name)
		s.data = append(s.data, append([]float32(nil), nt.Tensor.Data...))
	}
	return s
}

// Restore writes the saved values back into m's tensors (in place: tensors
// held elsewhere, e.g. by an optimizer, see the restored values) and
// zeroes the parameters' gradients. m must have the layout it had when the
// snapshot was taken.
func (s *Snapshot) Restore(m nn.Module) error {
	ts := nn.Tensors(m)
	if len(ts) != len(s.names) {
		return fmt.Errorf("snapshot: model has %d tensors, the snapshot %d", len(ts), len(s.names))
	}
	for k, nt := range ts {
		if nt.Name != s.names[k] || len(nt.Tensor.Data) != len(s.data[k]) {
			return fmt.Errorf("snapshot: tensor %d is %s with %d values, the snapshot has %s with %d",
				k, nt.Name, len(nt.Tensor.Data), s.names[k], len(s.data[k]))
		}
	}
	for k, nt := range ts {
		copy(nt.Tensor.Data, s.data[k])
		nt.Tensor.ZeroGrad()
	}
	return nil
}

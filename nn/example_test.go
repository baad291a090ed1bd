package nn_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Load weights from a file into a module: LoadWeights reads safetensors
// or a PyTorch .pth state dict, LoadInto copies it by name, checking every
// shape (strict: every tensor of the module must be in the file).
func ExampleLoadWeights() {
	dir, _ := os.MkdirTemp("", "weights")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "linear.safetensors")

	// A file as PyTorch's safetensors.torch.save_file would write it for
	// torch.nn.Linear(2, 1).
	sd := nn.NewStateDict()
	sd.Set("weight", ag.New([]float32{0.5, -1}, 1, 2))
	sd.Set("bias", ag.New([]float32{0.25}, 1))
	if err := nn.SaveSafetensors(path, sd); err != nil {
		log.Fatal(err)
	}

	loaded, err := nn.LoadWeights(path) // a .pth works the same way
	if err != nil {
		log.Fatal(err)
	}
	lin := nn.NewLinear(nil, 2, 1, true) // nil: no random init, the weights come next
	if err := nn.LoadInto(nn.StateMap(lin), loaded, true); err != nil {
		log.Fatal(err) // names the missing, unexpected or mis-shaped tensors
	}
	y := lin.Forward(nil, ag.New([]float32{2, 3}, 1, 2))
	fmt.Println(loaded.Names(), y.Data)

	wrong := nn.NewLinear(nil, 3, 1, true)
	fmt.Println(nn.LoadInto(nn.StateMap(wrong), loaded, true) != nil)
	// Output:
	// [bias weight] [-1.75]
	// true
}

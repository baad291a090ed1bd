package models_test

import (
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// A backbone by its torchvision or timm name, with the reference's
// parameter count (torchvision's resnet50 and efficientnet_v2_s, with
// their 1000-class ImageNet classifiers). BackboneNames lists every name;
// `multilabel info -model NAME` prints the same counts with the MACs.
func ExampleNewBackbone() {
	for _, name := range []string{"resnet50", "efficientnet_v2_s"} {
		// NoInit: leave the weights zero, as when a file's come next.
		b, err := models.NewBackbone(name, models.Options{NumClasses: 1000, NoInit: true})
		if err != nil {
			log.Fatal(err)
		}
		params, _ := nn.CountParams(b)
		fmt.Println(name, params)
	}
	// Output:
	// resnet50 25557032
	// efficientnet_v2_s 21458488
}

// A multilabel classifier from its Spec (what a run folder's model.json
// holds): a backbone and a head by name, the classes, the input size. Its
// output is one score per class.
func ExampleBuild() {
	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "mldecoder", Classes: []string{"cat", "dog", "person"},
		Metric: true, Size: 64, Scale: 17, Norm: "half", DecoderEmbed: 64, DecoderHeads: 4, DecoderFFN: 128}
	net, err := models.Build(spec, models.Options{Seed: 1}, nil)
	if err != nil {
		log.Fatal(err) // an unknown backbone or head, a bad size
	}
	params, _ := nn.CountParams(net)
	fmt.Println(params, "parameters,", net.MACs(spec.Size), "MACs per image")

	x := ag.RandN(rand.New(rand.NewPCG(1, 2)), 2, 3, spec.Size, spec.Size) // a batch of 2 images, NCHW
	var out *ag.Tensor
	ag.NoGrad(func() { out = net.Forward(nn.Eval, x) })
	fmt.Println(out.Shape) // [batch classes]: cosines with Metric, scores σ(Scale·out)
	// Output:
	// 3132875 parameters, 43669056 MACs per image
	// [2 3]
}

// Save a classifier's weights as safetensors and load them into another
// built from the same Spec: the names are the state dict's (backbone.*,
// head.*, as PyTorch would name them), every shape is checked, and a
// model of another shape is refused with the tensors named. A pretrained
// torchvision or timm backbone file goes through BackboneWeights first
// (recipe does this for -weights; docs/weights.md).
func Example_loadWeights() {
	dir, _ := os.MkdirTemp("", "weights")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	spec := models.Spec{Backbone: "efficientnetv2_t", Head: "pool", Classes: []string{"cat", "dog"},
		Metric: true, Size: 32, Scale: 17, Norm: "half"}
	trained, _ := models.Build(spec, models.Options{Seed: 1}, nil)
	if err := nn.SaveSafetensors(path, nn.FromTensors(nn.StateMap(trained))); err != nil {
		log.Fatal(err)
	}

	sd, err := nn.LoadWeights(path) // safetensors, or a PyTorch .pth
	if err != nil {
		log.Fatal(err)
	}
	loaded, _ := models.Build(spec, models.Options{NoInit: true}, nil)
	if err := nn.LoadInto(nn.StateMap(loaded), sd, true); err != nil { // strict: every tensor must be there
		log.Fatal(err)
	}
	x := ag.RandN(rand.New(rand.NewPCG(3, 4)), 1, 3, 32, 32)
	var a, b *ag.Tensor
	ag.NoGrad(func() { a, b = trained.Forward(nn.Eval, x), loaded.Forward(nn.Eval, x) })
	same := true
	for i := range a.Data {
		same = same && a.Data[i] == b.Data[i]
	}
	fmt.Println(len(sd.Names()), "tensors, same outputs:", same)

	spec.Classes = append(spec.Classes, "bird") // a 3-class head does not take 2-class weights
	other, _ := models.Build(spec, models.Options{NoInit: true}, nil)
	fmt.Println(nn.LoadInto(nn.StateMap(other), sd, true) != nil)
	// Output:
	// 287 tensors, same outputs: true
	// true
}

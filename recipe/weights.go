package recipe

import (
	"fmt"
	"io"
	"strings"

	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// isRunWeights tells a run's own checkpoint (the whole classifier, names
// "backbone.*", "head.*") from an ImageNet backbone state dict by its file
// name, before anything is read: it decides the input normalisation the
// model is built with.
func isRunWeights(path string) bool { return strings.HasSuffix(path, "best.safetensors") }

// loadPretrained loads a run's weights into the whole classifier, or a
// torchvision/timm state dict into the backbone (its ImageNet classifier
// is left out). Every error is the user's file: InputError.
func loadPretrained(net *models.Classifier, path string, out io.Writer) error {
	sd, err := nn.LoadWeights(path)
	if err != nil {
		return inputf("-weights: %w", err)
	}
	for _, n := range sd.Names() {
		if strings.HasPrefix(n, "backbone.") {
			if err := nn.LoadInto(nn.StateMap(net), sd, true); err != nil {
				return inputf("-weights %s: %w", path, err)
			}
			return nil
		}
	}
	if r, ok := net.Backbone.(interface{ CheckpointName(string) (string, bool) }); ok {
		if sd, err = nn.ApplyRenames(sd, r.CheckpointName); err != nil {
			return inputf("-weights %s: %w", path, err)
		}
	}
	dst := nn.StateMap(net.Backbone)
	chk := nn.CheckLoad(dst, sd)
	if chk != nil && len(chk.Missing) == len(dst) {
		return inputf("-weights %s: no tensor matches backbone %s (%v)", path, net.Spec.Backbone, chk)
	}
	if chk != nil && len(chk.Missing) > 0 {
		return inputf("-weights %s: %w", path, chk)
	}
	if err := nn.LoadInto(dst, sd, false); err != nil {
		return inputf("-weights %s: %w", path, err)
	}
	skipped := 0
	if chk != nil {
		skipped = len(chk.Unexpected)
	}
	fmt.Fprintf(out, "weights: loaded %d backbone tensors from %s (%d not used: the ImageNet classifier)\n", len(dst), path, skipped)
	return nil
}

package models

import (
	"strconv"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// The ResNet family (ResNet, TResNet) ends in four stages of residual
// blocks, "layer1" … "layer4". What every such backbone does with them —
// run them in order, count their MACs, name their tensors — is here once.

// stageBlock is a residual block of a stage: a layer that also knows its
// MACs and output size for an h×w input.
type stageBlock interface {
	nn.Layer
	MACs(h, w int) (macs int64, oh, ow int)
}

// forwardStages runs x through every block of every stage, in order.
//
// Without gradients, everything made since mark (the arena's Mark taken
// before the stem) but the last block's output is dead once a block has
// returned, and goes back to the arena at once (Arena.ReleaseSince, which
// does nothing while gradients are recorded).
func forwardStages[B stageBlock](c *nn.Ctx, x *ag.Tensor, stages *[4][]B, mark int) *ag.Tensor {
	ar := x.Arena()
	for _, stage := range stages {
		for _, b := range stage {
			x = b.Forward(c, x)
			ar.ReleaseSince(mark, x)
		}
	}
	return x
}

// stagesMACs is the stages' multiply-accumulates for an h×w input, and the
// size of their output.
func stagesMACs[B stageBlock](stages *[4][]B, h, w int) (n int64, oh, ow int) {
	for _, stage := range stages {
		for _, b := range stage {
			var k int64
			k, h, w = b.MACs(h, w)
			n += k
		}
	}
	return n, h, w
}

// visitStages names block j of stage i "<prefix>.layer<i+1>.<j>", as
// torchvision and timm do.
func visitStages[B stageBlock](prefix string, stages *[4][]B, fn func(string, *ag.Tensor, nn.Kind)) {
	for i, stage := range stages {
		sp := nn.Join(prefix, "layer"+strconv.Itoa(i+1))
		for j, b := range stage {
			b.Visit(nn.Join(sp, strconv.Itoa(j)), fn)
		}
	}
}

package recipe

import (
	"context"
	"fmt"
	"io"
	"strings"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/data"
	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// embedDim is the label-embedding width: GloVe's 300, kept for the
// image-derived embeddings so both kinds feed the same head.
const embedDim = 300

// labelGraph builds what the gat, gat+mldecoder and mlgcn heads need: the
// label graph from the training labels (τ 0.4, ρ 0.25) and, with
// -label-vectors, the GloVe embeddings of the class names. Without
// -label-vectors the embeddings are left zero here and filled from the
// images by imageEmbeddings once the backbone exists. nil for the other
// heads.
func labelGraph(o *Options, spec *models.Spec, ds *data.Dataset, out io.Writer) (*models.Graph, error) {
	switch spec.Head {
	case "gat", "gat+mldecoder", "mlgcn":
	default:
		return nil, nil
	}
	g, err := models.NewLabelGraph(positives(ds), len(ds.Classes), 0.4, 0.25)
	if err != nil {
		return nil, err
	}
	if o.LabelVectors == "" {
		spec.EmbedDim = embedDim
		return &models.Graph{Embeddings: make([]float32, len(ds.Classes)*embedDim), EmbedDim: embedDim, Labels: g}, nil
	}
	emb, dim, oov, err := models.ReadLabelEmbeddings(o.LabelVectors, ds.Classes)
	if err != nil {
		return nil, InputError{fmt.Errorf("-label-vectors: %w", err)}
	}
	if len(oov) > 0 {
		fmt.Fprintf(out, "label vectors: words not in %s: %s (their classes use the other words)\n", o.LabelVectors, strings.Join(oov, ", "))
	}
	spec.EmbedDim = dim
	return &models.Graph{Embeddings: emb, EmbedDim: dim, Labels: g}, nil
}

func positives(ds *data.Dataset) [][]int {
	labels := make([][]int, len(ds.Items))
	for i, it := range ds.Items {
		for j, v := range it.Labels {
			if v == data.Positive {
				labels[i] = append(labels[i], j)
			}
		}
	}
	return labels
}

// imageEmbeddings fills the label-graph head's node features from the
// images (the paper's open problem, for labels without names): per-class
// means of the backbone's pooled features over the training set, centred
// and projected by PCA (models.ClassFeatureMeans).
func imageEmbeddings(ctx context.Context, net *models.Classifier, loader *data.Loader, ds *data.Dataset) error {
	var inp *ag.Tensor
	switch h := net.Head.(type) {
	case *models.GATHead:
		inp = h.Inp
	case *models.MLGCN:
		inp = h.Inp
	default:
		return nil
	}
	acc := models.NewClassFeatureMeans(len(ds.Classes), net.Backbone.FeatureChannels())
	labels := positives(ds)
	for b, err := range loader.Epoch(ctx, 0) {
		if err != nil {
			return err
		}
		var feats *ag.Tensor
		ag.NoGrad(func() {
			x := ag.New(b.Images[:b.N*3*b.Size*b.Size], b.N, 3, b.Size, b.Size)
			feats = models.GlobalPool(net.Backbone.Features(nn.Eval, x), models.PoolAvg)
		})
		rows := make([][]int, b.N)
		for r, idx := range b.Indices[:b.N] {
			rows[r] = labels[idx]
		}
		if err := acc.Add(feats.Data, rows); err != nil {
			return err
		}
		b.Release()
	}
	emb, err := acc.Embeddings(inp.Shape[1])
	if err != nil {
		return err
	}
	copy(inp.Data, emb)
	return nil
}

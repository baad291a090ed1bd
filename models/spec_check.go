package models

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Limits on what a Spec may ask for. They are far above any real model
// (OpenImages has 9,605 classes; the paper trains at 448-640 px) and keep a
// corrupt or hostile model.json from asking for gigabytes before a weight
// is read.
const (
	MaxSpecClasses = 1 << 14 // class names
	MaxSpecSize    = 4096    // input side, pixels
	MaxSpecWidth   = 1 << 14 // ML-Decoder width, FFN width, label-embedding width
)

// Validate reports the first thing wrong with s, in one line naming the
// field: an unknown backbone or head, no classes or a repeated one, a size,
// scale, pooling or width outside its range, ML-Decoder heads that do not
// divide its width. Build calls it; so does UnmarshalSpec.
func (s Spec) Validate() error {
	if !slices.Contains(BackboneNames(), s.Backbone) {
		return fmt.Errorf("model spec: unknown backbone %q (known: %s)", s.Backbone, strings.Join(BackboneNames(), ", "))
	}
	if !slices.Contains(HeadNames, s.Head) {
		return fmt.Errorf("model spec: unknown head %q (known: %s)", s.Head, strings.Join(HeadNames, ", "))
	}
	if len(s.Classes) == 0 || len(s.Classes) > MaxSpecClasses {
		return fmt.Errorf("model spec: %d classes, want 1 to %d", len(s.Classes), MaxSpecClasses)
	}
	seen := make(map[string]bool, len(s.Classes))
	for _, c := range s.Classes {
		if seen[c] {
			return fmt.Errorf("model spec: class %q listed twice", c)
		}
		seen[c] = true
	}
	if s.Size <= 0 || s.Size > MaxSpecSize {
		return fmt.Errorf("model spec: size %d, want 1 to %d pixels", s.Size, MaxSpecSize)
	}
	if sc := float64(s.Scale); !(sc > 0) || math.IsInf(sc, 0) {
		return fmt.Errorf("model spec: scale %v, want a positive number", s.Scale)
	}
	if s.Pooling != "" {
		if _, err := ParsePooling(s.Pooling); err != nil {
			return fmt.Errorf("model spec: %w", err)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"embed_dim", s.EmbedDim}, {"decoder_embed", s.DecoderEmbed}, {"decoder_heads", s.DecoderHeads}, {"decoder_ffn", s.DecoderFFN}} {
		if f.v < 0 || f.v > MaxSpecWidth {
			return fmt.Errorf("model spec: %s %d, want 0 (the default) to %d", f.name, f.v, MaxSpecWidth)
		}
	}
	dec := DefaultMLDecoderConfig(1, 1, false)
	if s.DecoderEmbed > 0 {
		dec.Embed = s.DecoderEmbed
	}
	if s.DecoderHeads > 0 {
		dec.Heads = s.DecoderHeads
	}
	if dec.Embed%dec.Heads != 0 {
		return fmt.Errorf("model spec: decoder_embed %d is not divisible by decoder_heads %d", dec.Embed, dec.Heads)
	}
	return nil
}

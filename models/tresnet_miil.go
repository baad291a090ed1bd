package models

import (
	"fmt"
	"strings"

	ag "github.com/seed477ab429/multilabel/autograd"
	"github.com/seed477ab429/multilabel/nn"
)

// Original Alibaba-MIIL checkpoints (TResNet repo, ASL, ML-Decoder) build
// every unit as conv2d_ABN = Sequential(Conv2d, InPlaceABN), and a stride-2
// unit as Sequential(conv2d_ABN, AntiAliasDownsampleLayer). Their names map
// to timm's (docs/architectures.md §3.4; timm's checkpoint_filter_fn):
//
//	convN.0.0.* / convN.0.1.*         → convN.conv.* / convN.bn.*      (stride-2 unit)
//	convN.0.*   / convN.1.*           → convN.conv.* / convN.bn.*
//	downsample.K.0.* / downsample.K.1.* → downsample.K.conv.* / downsample.K.bn.*
//	…filt (the blur filter, saved when JIT was off)  → dropped
//	se.fc1/fc2, head.*, anything else → unchanged
//
// InPlaceABN normalises with |γ| + eps instead of γ:
//
//	y = act((x − μ)/√(σ² + eps) · (|γ| + eps) + β)
//
// so a BatchNorm2d reproduces it with γ' = |γ| + 1e-5 (FromMIIL).

// MIILRename maps one MIIL TResNet state-dict name to timm's (the names of
// TResNet.Visit); keep is false for the blur filter buffers, which have no
// counterpart. It has the signature nn.ApplyRenames wants.
func MIILRename(name string) (newName string, keep bool) {
	if !strings.HasPrefix(name, "body.") {
		return name, true // head.fc, an ML-Decoder head: same names
	}
	parts := strings.Split(name, ".")
	if parts[len(parts)-1] == "filt" {
		return "", false
	}
	out := make([]string, 0, len(parts))
	for i := 0; i < len(parts); i++ {
		out = append(out, parts[i])
		// A unit is "convN" or the index K in "downsample.K".
		unit := (strings.HasPrefix(parts[i], "conv") && isDigits(parts[i][4:])) ||
			(i > 0 && parts[i-1] == "downsample" && isDigits(parts[i]))
		rest := parts[i+1:]
		switch {
		case !unit || len(rest) < 2 || (rest[0] != "0" && rest[0] != "1"):
			// not a unit, or already in timm's layout (convN.conv.weight)
		case rest[0] == "0" && (rest[1] == "0" || rest[1] == "1") && len(rest) >= 3:
			out = append(out, unitChild(rest[1])) // convN.0.{0,1}.x: anti-aliased unit
			i += 2
		default:
			out = append(out, unitChild(rest[0])) // convN.{0,1}.x
			i++
		}
	}
	return strings.Join(out, "."), true
}

func unitChild(idx string) string {
	if idx == "0" {
		return "conv"
	}
	return "bn"
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// FromMIIL converts a MIIL TResNet state dict to timm's layout: names
// through MIILRename, every BN weight (…bn.weight) replaced by a copy
// holding |γ| + 1e-5, and a zero num_batches_tracked added where the
// checkpoint has none (InPlaceABN does not keep one; PyTorch's BatchNorm
// fills it with 0 when loading such a checkpoint). sd is not modified.
// Keys that are not the backbone's (an ML-Decoder head) pass through
// unchanged.
func FromMIIL(sd *nn.StateDict) (*nn.StateDict, error) {
	out, err := nn.ApplyRenames(sd, MIILRename)
	if err != nil {
		return nil, fmt.Errorf("models: MIIL TResNet checkpoint: %w", err)
	}
	for _, name := range out.Names() {
		if !strings.HasSuffix(name, ".bn.weight") {
			continue
		}
		g := out.Get(name).Clone()
		for i, v := range g.Data {
			if v < 0 {
				v = -v
			}
			g.Data[i] = v + 1e-5
		}
		out.Set(name, g)
		nbt := strings.TrimSuffix(name, "weight") + "num_batches_tracked"
		if out.Get(nbt) == nil {
			out.Set(nbt, ag.Zeros())
		}
	}
	return out, nil
}

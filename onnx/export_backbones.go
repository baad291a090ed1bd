package onnx

import (
	"fmt"
	"math"
	"strconv"

	"github.com/seed477ab429/multilabel/models"
	"github.com/seed477ab429/multilabel/nn"
)

// The backbones as ONNX ops, in eval mode: every Conv → BatchNorm pair
// becomes one Conv whose weight and bias hold the BatchNorm (see foldBN),
// dropout and stochastic depth vanish, and the spatial size is tracked so
// that TF "SAME" padding (timm tf_ models) becomes static pads. Each
// function mirrors the Forward of the model it exports (models/*.go).

// value is a tensor in the graph: its name and, for feature maps, the
// spatial size (the batch is dynamic, channels are known to the caller).
type value struct {
	name string
	h, w int
}

// foldBN returns the weight and bias of conv followed by bn in eval mode:
//
//	s_o = γ_o / √(var_o + eps)
//	W'[o] = s_o·W[o]      b'_o = s_o·(b_o − mean_o) + β_o      (b_o = 0 without a conv bias)
//
// computed in float64 and rounded once. bn nil returns the conv's own.
func foldBN(conv *nn.Conv2d, bn *nn.BatchNorm2d) (w, bias []float32) {
	o := conv.Weight.Shape[0]
	per := conv.Weight.Numel() / o
	w = append([]float32(nil), conv.Weight.Data...)
	if bn == nil {
		if conv.Bias != nil {
			bias = append([]float32(nil), conv.Bias.Data...)
		}
		return w, bias
	}
	bias = make([]float32, o)
	for c := 0; c < o; c++ {
		s := float64(bn.Weight.Data[c]) / math.Sqrt(float64(bn.RunningVar.Data[c])+float64(bn.Eps))
		for i := c * per; i < (c+1)*per; i++ {
			w[i] = float32(float64(w[i]) * s)
		}
		var b0 float64
		if conv.Bias != nil {
			b0 = float64(conv.Bias.Data[c])
		}
		bias[c] = float32(s*(b0-float64(bn.RunningMean.Data[c])) + float64(bn.Bias.Data[c]))
	}
	return w, bias
}

// conv emits conv (with bn folded in, when not nil) on x.
func (b *builder) conv(name string, x value, conv *nn.Conv2d, bn *nn.BatchNorm2d) value {
	b.convs = append(b.convs, convUnit{conv, bn})
	var w, bias []float32
	if !b.dry {
		w, bias = foldBN(conv, bn)
	} else if conv.Bias != nil || bn != nil {
		bias = make([]float32, conv.Weight.Shape[0])
	}
	o := conv.Opts(x.h, x.w)
	k1, k2 := conv.Weight.Shape[2], conv.Weight.Shape[3]
	in := []string{x.name, b.weight(name+".weight", w, conv.Weight.Shape...)}
	if bias != nil {
		in = append(in, b.weight(name+".bias", bias, len(bias)))
	}
	out := b.op("Conv", name, in,
		attrInts("kernel_shape", k1, k2), attrInts("strides", o.StrideH, o.StrideW),
		attrInts("pads", o.PadTop, o.PadLeft, o.PadBottom, o.PadRight),
		attrInts("dilations", max(o.DilationH, 1), max(o.DilationW, 1)), attrInt("group", max(o.Groups, 1)))
	return value{out, conv.OutSize(x.h), conv.OutSize(x.w)}
}

// backbone emits the feature extractor of bb (Backbone.Features).
func (b *builder) backbone(prefix string, bb models.Backbone, x value) (value, error) {
	switch m := bb.(type) {
	case *models.EfficientNetV2:
		return b.efficientNetV2(prefix, m, x), nil
	case *models.ResNet:
		return b.resNet(prefix, m, x), nil
	case *models.TResNet:
		if x.h%32 != 0 || x.w%32 != 0 {
			return x, fmt.Errorf("onnx: TResNet needs an input size divisible by 32, got %dx%d", x.h, x.w)
		}
		return b.tresNet(prefix, m, x), nil
	}
	return x, fmt.Errorf("onnx: export of backbone %T is not supported (EfficientNetV2, ResNet, TResNet are)", bb)
}

// --- EfficientNetV2 (models/efficientnetv2*.go) ---

func (b *builder) convBNAct(name string, x value, l *models.ConvBNAct) value {
	y := b.conv(name, x, l.Conv, l.BN)
	if l.Act {
		y.name = b.silu(name+"/silu", y.name)
	}
	return y
}

func (b *builder) efficientNetV2(prefix string, m *models.EfficientNetV2, x value) value {
	feat := prefix + ".features"
	x = b.convBNAct(feat+".0", x, m.Stem)
	for i, st := range m.Stages {
		for j, blk := range st {
			name := feat + "." + strconv.Itoa(i+1) + "." + strconv.Itoa(j)
			in := x
			var skip bool
			switch blk := blk.(type) {
			case *models.FusedMBConv:
				x = b.convBNAct(name+".block.0", x, blk.Expand)
				if blk.Project != nil {
					x = b.convBNAct(name+".block.1", x, blk.Project)
				}
				skip = blk.Skip
			case *models.MBConv:
				k := 0
				next := func() string { k++; return name + ".block." + strconv.Itoa(k-1) }
				if blk.Expand != nil {
					x = b.convBNAct(next(), x, blk.Expand)
				}
				x = b.convBNAct(next(), x, blk.Depthwise)
				se := next()
				g := b.op("GlobalAveragePool", se+"/pool", []string{x.name})
				g = b.silu(se+".fc1/silu", b.conv(se+".fc1", value{g, 1, 1}, blk.SE.FC1, nil).name)
				g = b.sigmoid(se+"/gate", b.conv(se+".fc2", value{g, 1, 1}, blk.SE.FC2, nil).name)
				x.name = b.mul(se, x.name, g)
				x = b.convBNAct(next(), x, blk.Project)
				skip = blk.Skip
			default:
				panic(fmt.Sprintf("onnx: EfficientNetV2 block %T", blk))
			}
			if skip {
				x.name = b.add(name+"/residual", x.name, in.name)
			}
		}
	}
	return b.convBNAct(feat+"."+strconv.Itoa(len(m.Stages)+1), x, m.Head)
}

// --- ResNet (models/resnet.go) ---

func (b *builder) resNet(prefix string, m *models.ResNet, x value) value {
	x = b.conv(prefix+".conv1", x, m.Conv1, m.BN1)
	x.name = b.relu(prefix+".conv1/relu", x.name)
	x.name = b.op("MaxPool", prefix+".maxpool", []string{x.name},
		attrInts("kernel_shape", 3, 3), attrInts("strides", 2, 2), attrInts("pads", 1, 1, 1, 1))
	x.h, x.w = (x.h+2-3)/2+1, (x.w+2-3)/2+1
	for li, layer := range m.Layers {
		for j, blk := range layer {
			name := prefix + ".layer" + strconv.Itoa(li+1) + "." + strconv.Itoa(j)
			out := b.conv(name+".conv1", x, blk.Conv1, blk.BN1)
			out.name = b.relu(name+".conv1/relu", out.name)
			out = b.conv(name+".conv2", out, blk.Conv2, blk.BN2)
			out.name = b.relu(name+".conv2/relu", out.name)
			out = b.conv(name+".conv3", out, blk.Conv3, blk.BN3)
			sc := x
			if blk.Downsample != nil {
				sc = b.conv(name+".downsample.0", x, blk.Downsample[0].(*nn.Conv2d), blk.Downsample[1].(*nn.BatchNorm2d))
			}
			out.name = b.relu(name+"/relu", b.add(name+"/residual", out.name, sc.name))
			x = out
		}
	}
	return x
}

// --- TResNet (models/tresnet*.go, models/blur.go) ---

func (b *builder) tresConvBN(name string, x value, u *models.TResNetConvBN) value {
	y := b.conv(name+".conv", x, u.Conv, u.BN)
	if u.Act {
		y.name = b.leakyRelu(name+"/act", y.name, u.Slope)
	}
	if u.AA != nil {
		// BlurPool2d: reflect pad 1, then the fixed [1 2 1]ᵀ[1 2 1]/16
		// filter per channel at stride 2.
		p := b.op("Pad", name+".aa/pad", []string{y.name, b.int64s(name+".aa/pads", 0, 0, 1, 1, 0, 0, 1, 1)}, attrString("mode", "reflect"))
		c := u.AA.Channels
		f := make([]float32, 9*c)
		k := [9]float32{1, 2, 1, 2, 4, 2, 1, 2, 1}
		for ch := 0; ch < c; ch++ {
			for i, v := range k {
				f[9*ch+i] = v / 16
			}
		}
		y.name = b.op("Conv", name+".aa", []string{p, b.weight(name+".aa.filt", f, c, 1, 3, 3)},
			attrInts("kernel_shape", 3, 3), attrInts("strides", 2, 2), attrInts("pads", 0, 0, 0, 0), attrInt("group", c))
		y.h, y.w = u.AA.OutSize(y.h), u.AA.OutSize(y.w)
	}
	return y
}

func (b *builder) tresSE(name string, x value, se *models.TResNetSE) value {
	g := b.op("GlobalAveragePool", name+"/pool", []string{x.name})
	g = b.relu(name+".fc1/relu", b.conv(name+".fc1", value{g, 1, 1}, se.FC1, nil).name)
	g = b.sigmoid(name+"/gate", b.conv(name+".fc2", value{g, 1, 1}, se.FC2, nil).name)
	x.name = b.mul(name, x.name, g)
	return x
}

func (b *builder) tresShortcut(name string, x value, d *models.TResNetDownsample) value {
	if d == nil {
		return x
	}
	idx := ".0"
	if d.Pool {
		x.name = b.op("AveragePool", name+".0", []string{x.name}, attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2),
			attrInt("ceil_mode", 1), attrInt("count_include_pad", 0))
		x.h, x.w = (x.h+1)/2, (x.w+1)/2
		idx = ".1"
	}
	return b.tresConvBN(name+idx, x, d.Unit)
}

func (b *builder) tresNet(prefix string, m *models.TResNet, x value) value {
	body := prefix + ".body"
	x.name = b.op("SpaceToDepth", body+".s2d", []string{x.name}, attrInt("blocksize", 4))
	x.h, x.w = x.h/4, x.w/4
	x = b.tresConvBN(body+".conv1", x, m.Conv1)
	for li, layer := range m.Layers {
		for j, blk := range layer {
			name := body + ".layer" + strconv.Itoa(li+1) + "." + strconv.Itoa(j)
			var out, sc value
			switch blk := blk.(type) {
			case *models.TResNetBasicBlock:
				sc = b.tresShortcut(name+".downsample", x, blk.Downsample)
				out = b.tresConvBN(name+".conv2", b.tresConvBN(name+".conv1", x, blk.Conv1), blk.Conv2)
				if blk.SE != nil {
					out = b.tresSE(name+".se", out, blk.SE)
				}
			case *models.TResNetBottleneck:
				sc = b.tresShortcut(name+".downsample", x, blk.Downsample)
				out = b.tresConvBN(name+".conv2", b.tresConvBN(name+".conv1", x, blk.Conv1), blk.Conv2)
				if blk.SE != nil {
					out = b.tresSE(name+".se", out, blk.SE)
				}
				out = b.tresConvBN(name+".conv3", out, blk.Conv3)
			default:
				panic(fmt.Sprintf("onnx: TResNet block %T", blk))
			}
			out.name = b.relu(name+"/relu", b.add(name+"/residual", out.name, sc.name))
			x = out
		}
	}
	return x
}

#!/usr/bin/env bash
# The PyTorch round trip of `multilabel export -format safetensors`: the
# EfficientNetV2-S and ResNet-50 run folders of check_ort.sh (made if
# missing) are exported as safetensors and loaded into torchvision's own
# models, whose pooled features must equal ours (1e-4 of the largest).
#
#   tools/onnx/roundtrip_torch.sh [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-/tmp/multilabel-onnxcheck}
mkdir -p "$work"
go build -o "$work/multilabel" ./cmd/multilabel
go build -o "$work/makeruns" ./tools/onnx/makeruns
# The fixed images: the VOC sample photos when the reference data is beside the checkout (docs/README.md).
photos=../shared/data/voc-sample/VOCdevkit/VOC2007/JPEGImages
[ -d "$photos" ] || photos=
"$work/makeruns" -photos "$photos" -out "$work" -only effnetv2s_pool,resnet50_mlgcn > /dev/null
for name in effnetv2s_pool resnet50_mlgcn; do
	run="$work/runs/$name"
	flock /tmp/multilabel-bench.lock bash -c "set -e
		'$work/multilabel' export -run '$run' -format safetensors -o '$run/export.safetensors'
		'$work/makeruns' -features '$run' -images '$work/images' > '$run/go_features.json'
		/usr/bin/python3 tools/onnx/roundtrip_torch.py '$run' '$run/export.safetensors' '$work/images' '$run/go_features.json'"
done

#!/usr/bin/env bash
# The full-size ONNX check (docs/deploy.md): for every head on
# EfficientNetV2-S, and for TResNet-M, ResNet-50 and tf_EfficientNetV2-S,
# builds a randomly initialized run folder, exports it with
# `multilabel export`, checks the file with onnx.checker, runs it in ONNX
# Runtime on fixed images and compares every score with
# `multilabel predict -json` (1e-4 relative), then times both engines on one
# image at a time.
#
#   tools/onnx/check_ort.sh [WORKDIR] [config,...]
#
# Needs Node.js + npm (onnxruntime-node) and Debian's python3-onnx. Each model
# runs under the bench lock (/tmp/multilabel-bench.lock), a few minutes each
# on 2 cores. Results: one JSON line per model in WORKDIR/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-/tmp/multilabel-onnxcheck}
only=${2:-}
mkdir -p "$work"
tools/onnx/setup.sh
go build -o "$work/multilabel" ./cmd/multilabel
go build -o "$work/makeruns" ./tools/onnx/makeruns
# The fixed images: the VOC sample photos when the reference data is beside the checkout (docs/README.md).
photos=../shared/data/voc-sample/VOCdevkit/VOC2007/JPEGImages
[ -d "$photos" ] || photos=
runs=$("$work/makeruns" -photos "$photos" -out "$work" -only "$only")
: > "$work/results.jsonl"
for run in $runs; do
	name=$(basename "$run")
	echo "== $name"
	flock /tmp/multilabel-bench.lock bash -c "set -e
		'$work/multilabel' export -run '$run' -o '$run/model.onnx'
		'$work/multilabel' predict -json -run '$run' '$work/images' > '$run/predict.jsonl'
		/usr/bin/python3 tools/onnx/check_model.py '$run/model.onnx'
		'$work/makeruns' -time '$run' -images '$work/images' -reps 3 > '$run/go_time.json'
		node tools/onnx/ort_check.mjs '$work' 3 '$name' > '$run/ort.json' || { cat '$run/ort.json'; exit 1; }"
	node -e "const fs=require('fs');const r=JSON.parse(fs.readFileSync('$run/ort.json','utf8'));const g=JSON.parse(fs.readFileSync('$run/go_time.json','utf8'));r.go_ms_median=g.go_ms_median;r.go_ms_min=g.go_ms_min;console.log(JSON.stringify(r))" | tee -a "$work/results.jsonl"
	rm -f "$run/model.onnx" # ~100 MB each
done
echo "every model within 1e-4 relative of multilabel predict; results in $work/results.jsonl"

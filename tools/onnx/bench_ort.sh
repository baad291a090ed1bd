#!/usr/bin/env bash
# Speed of an exported classifier in ONNX Runtime against our own inference
# (docs/PERFORMANCE.md, "ONNX Runtime vs our inference"): one image at a
# time (batch 1), both engines on the machine's cores, ROUNDS interleaved
# rounds (Go, then ONNX Runtime, per model) under the bench lock, each round
# the median of 3 passes over the fixed images.
#
#   tools/onnx/bench_ort.sh [WORKDIR] [ROUNDS] [config,...]
#
# Uses the run folders of check_ort.sh (same WORKDIR; made if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-/tmp/multilabel-onnxcheck}
rounds=${2:-3}
only=${3:-effnetv2s_mldecoder,tresnetm_mldecoder,resnet50_mlgcn}
tools/onnx/setup.sh
go build -o "$work/multilabel" ./cmd/multilabel
go build -o "$work/makeruns" ./tools/onnx/makeruns
# The fixed images: the VOC sample photos when the reference data is beside the checkout (docs/README.md).
photos=../shared/data/voc-sample/VOCdevkit/VOC2007/JPEGImages
[ -d "$photos" ] || photos=
"$work/makeruns" -photos "$photos" -out "$work" -only "$only" > /dev/null
: > "$work/bench.jsonl"
for name in ${only//,/ }; do
	run="$work/runs/$name"
	"$work/multilabel" export -run "$run" -o "$run/model.onnx" > /dev/null
	"$work/multilabel" predict -json -run "$run" "$work/images" > "$run/predict.jsonl"
	for r in $(seq 1 "$rounds"); do
		flock /tmp/multilabel-bench.lock bash -c "
			'$work/makeruns' -time '$run' -images '$work/images' -reps 3 > '$run/go_time.json'
			node tools/onnx/ort_check.mjs '$work' 3 '$name' > '$run/ort.json'"
		node -e "const fs=require('fs');const o=JSON.parse(fs.readFileSync('$run/ort.json','utf8'));const g=JSON.parse(fs.readFileSync('$run/go_time.json','utf8'));console.log(JSON.stringify({run:'$name',round:$r,go_ms:g.go_ms_median,ort_ms:o.ort_ms_median,ratio:+(g.go_ms_median/o.ort_ms_median).toFixed(2),max_rel_diff:o.max_rel_diff}))" | tee -a "$work/bench.jsonl"
	done
	rm -f "$run/model.onnx"
done

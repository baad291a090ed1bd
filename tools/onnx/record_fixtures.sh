#!/usr/bin/env bash
# Re-records the ONNX Runtime scores of the export fixtures
# (onnx/testdata/*.ort.json) and runs onnx.checker on them. Run after
# `go test ./onnx -run TestExportFixtures -update`. Needs Node.js with npm
# (onnxruntime-node from the npm registry) and Debian's python3-onnx.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/onnx/setup.sh
node tools/onnx/ort_fixtures.mjs onnx/testdata
/usr/bin/python3 tools/onnx/check_model.py onnx/testdata/*.onnx
go test ./onnx -run TestExportFixtures -v | grep -E "relative difference|^(ok|FAIL|---)"

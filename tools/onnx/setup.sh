#!/usr/bin/env bash
# Installs the Node.js package of tools/onnx (onnxruntime-node) from
# package-lock.json. --ignore-scripts: the CPU build of
# ONNX Runtime ships inside the package; its install script would only
# fetch optional GPU libraries from elsewhere.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/onnxruntime-node ]; then
	npm ci --ignore-scripts --no-audit --no-fund
fi

#!/bin/sh
# EfficientNetV2 speed, Go next to PyTorch on the same machine and threads.
# Usage (from the repository root): sh bench/effnetv2/run.sh [threads]
# The machine's load average is printed: on a shared machine the numbers
# only compare runs made at the same load.
set -e
T=${1:-2}
uptime
GOMAXPROCS=$T go test ./models -run '^$' -bench 'EfficientNetV2(S|T)$' -benchtime 3x | grep -E 'img/s|^cpu'
/usr/bin/python3 bench/effnetv2/torch_effnetv2.py --threads "$T"
uptime

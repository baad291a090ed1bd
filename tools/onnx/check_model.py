#!/usr/bin/python3
"""onnx.checker on exported models (Debian's python3-onnx; run with /usr/bin/python3).

    /usr/bin/python3 tools/onnx/check_model.py model.onnx [more.onnx ...]

full_check=True also runs ONNX's shape inference over the whole graph. Prints
one line per file and exits 1 if any file fails.
"""
import sys

import onnx


def main(paths):
    bad = 0
    for p in paths:
        try:
            m = onnx.load(p)
            onnx.checker.check_model(m, full_check=True)
            ops = sorted({n.op_type for n in m.graph.node})
            opset = {o.domain or "ai.onnx": o.version for o in m.opset_import}
            print(f"{p}: onnx.checker passed (onnx {onnx.__version__}, IR {m.ir_version}, opset {opset}, "
                  f"{len(m.graph.node)} nodes, ops: {' '.join(ops)})")
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            bad += 1
            print(f"{p}: FAILED: {e}")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))

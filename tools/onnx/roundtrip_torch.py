#!/usr/bin/python3
"""The PyTorch side of `multilabel export -format safetensors`: loads the
exported backbone into torchvision's own model (strictly, apart from the
ImageNet classifier the export does not have), runs the fixed images, and
compares the pooled features with ours. Run by roundtrip_torch.sh:

    /usr/bin/python3 tools/onnx/roundtrip_torch.py RUN EXPORT.safetensors IMAGES_DIR GO_FEATURES.json

Debian's python3-torch/torchvision (PyTorch 1.13); no safetensors package
needed (the format is read here: a JSON header, then raw little-endian data).
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torchvision
from PIL import Image

NORMS = {"half": ([0.5] * 3, [0.5] * 3), "imagenet": ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])}
CTORS = {"efficientnetv2_s": torchvision.models.efficientnet_v2_s, "efficientnet_v2_s": torchvision.models.efficientnet_v2_s,
         "efficientnetv2_m": torchvision.models.efficientnet_v2_m, "efficientnetv2_l": torchvision.models.efficientnet_v2_l,
         "resnet50": torchvision.models.resnet50, "resnet101": torchvision.models.resnet101}
DT = {"F32": np.float32, "I64": np.int64, "F16": np.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        hdr = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in hdr.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[b:e], dtype=DT[v["dtype"]]).reshape(v["shape"]).copy())
    return out


def main(run, st, images, go_json):
    spec = json.load(open(os.path.join(run, "model.json")))
    ctor = CTORS.get(spec["backbone"])
    if ctor is None:
        print(f"{spec['backbone']}: no torchvision model of that name here (timm is not in Debian); skipped")
        return 0
    m = ctor().eval()
    sd = {k: v for k, v in read_safetensors(st).items() if not k.startswith("head.")}
    res = m.load_state_dict(sd, strict=False)
    missing = [k for k in res.missing_keys if not k.startswith(("fc.", "classifier."))]
    if missing or res.unexpected_keys:
        print(f"FAILED: missing {missing}, unexpected {res.unexpected_keys}")
        return 1
    mean, std = NORMS.get(spec.get("norm", "half"), NORMS["half"])
    go = json.load(open(go_json))
    worst = 0.0
    with torch.no_grad():
        for name, gf in zip(go["images"], go["features"]):
            img = np.asarray(Image.open(os.path.join(images, name)).convert("RGB"), dtype=np.float32) / 255
            x = torch.from_numpy(((img - mean) / std).astype(np.float32)).permute(2, 0, 1)[None]
            if hasattr(m, "features"):
                f = m.features(x)
            else:
                f = m.layer4(m.layer3(m.layer2(m.layer1(m.maxpool(m.relu(m.bn1(m.conv1(x))))))))
            f = f.mean((2, 3)).flatten()
            g = torch.tensor(gf)
            worst = max(worst, float((f - g).abs().max() / f.abs().max()))
    ok = worst <= 1e-4
    print(f"{spec['backbone']}: {len(sd)} tensors loaded into torchvision's model (strict apart from its classifier); "
          f"pooled features on {len(go['images'])} images: max |torch - go| / max |torch| = {worst:.2g} {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))

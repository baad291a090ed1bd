#!/usr/bin/python3
"""Writes augment_fixtures.json: PIL's output for every RandAugment op.

Run with Debian's interpreter from the repository root:

    /usr/bin/python3 augment/testdata/gen_augment.py

The ops are the PIL calls that the PyPI package `randaugment` 1.0.2
(jizongFox/pytorch-randaugment, SubPolicy) makes, with the magnitude tables of
its SubPolicy (numpy linspace, 10 levels). Each is applied to a few small
deterministic images at every level 1..9 and both signs where the package
draws a random sign, so the Go tests can compare bytes exactly. Cutout
(both the package's fixed-colour one and ASL's CutoutPIL used by the
reference's Cutout transform) is written for chosen centres, since their
centres come from numpy's RNG.

Images are stored as base64 of the raw RGB bytes, row-major.
"""

import base64
import hashlib
import json
import os

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

FILL = (128, 128, 128)


def b64(img):
    return base64.b64encode(img.tobytes()).decode("ascii")


def images():
    rs = np.random.RandomState(477)
    out = {}
    out["r5x4"] = rs.randint(0, 256, size=(4, 5, 3)).astype(np.uint8)
    out["r8x8"] = rs.randint(0, 256, size=(8, 8, 3)).astype(np.uint8)
    out["r13x11"] = rs.randint(0, 256, size=(11, 13, 3)).astype(np.uint8)
    # narrow range per channel: autocontrast stretches, equalize spreads
    narrow = np.stack(
        [rs.randint(60, 181, size=(8, 8)), rs.randint(100, 121, size=(8, 8)),
         rs.randint(0, 30, size=(8, 8))], axis=-1)
    out["narrow8x8"] = narrow.astype(np.uint8)
    # constant channel G (hi == lo) and two-valued B: degenerate branches
    const = np.zeros((4, 6, 3), np.uint8)
    const[..., 0] = rs.randint(0, 256, size=(4, 6))
    const[..., 1] = 77
    const[..., 2] = np.where(rs.randint(0, 2, size=(4, 6)) > 0, 200, 3)
    out["const6x4"] = const
    # smooth gradient with texture: interpolation values stay in range
    yy, xx = np.mgrid[0:12, 0:16]
    grad = np.stack([xx * 15 + yy * 3, yy * 20 + 5, 255 - xx * 7 - yy * 9], axis=-1)
    grad = grad + rs.randint(0, 12, size=grad.shape)
    out["grad16x12"] = np.clip(grad, 0, 255).astype(np.uint8)
    return {k: Image.fromarray(v, "RGB") for k, v in out.items()}


def ranges():
    # SubPolicy's table, levels 0..9.
    return {
        "shearx": np.linspace(0, 0.3, 10),
        "sheary": np.linspace(0, 0.3, 10),
        "translatex": np.linspace(0, 150 / 331, 10),
        "translatey": np.linspace(0, 150 / 331, 10),
        "rotate": np.linspace(0, 30, 10),
        "color": np.linspace(0.0, 0.9, 10),
        "posterize": np.round(np.linspace(8, 4, 10), 0).astype(int),
        "solarize": np.linspace(256, 0, 10),
        "contrast": np.linspace(0.0, 0.9, 10),
        "sharpness": np.linspace(0.0, 0.9, 10),
        "brightness": np.linspace(0.0, 0.9, 10),
        "cutout": np.round(np.linspace(0, 20, 10), 0).astype(int),
    }


def rotate_with_fill(img, deg):
    # The package: rotate as RGBA (nearest, no expand, transparent outside),
    # then composite over grey using the rotated alpha as the mask.
    rot = img.convert("RGBA").rotate(deg)
    return Image.composite(rot, Image.new("RGBA", rot.size, (128,) * 4), rot).convert(img.mode)


def apply(op, img, m, sign):
    w, h = img.size
    if op == "shearx":
        return img.transform(img.size, Image.AFFINE, (1, m * sign, 0, 0, 1, 0), Image.BICUBIC, fillcolor=FILL)
    if op == "sheary":
        return img.transform(img.size, Image.AFFINE, (1, 0, 0, m * sign, 1, 0), Image.BICUBIC, fillcolor=FILL)
    if op == "translatex":
        return img.transform(img.size, Image.AFFINE, (1, 0, m * w * sign, 0, 1, 0), fillcolor=FILL)
    if op == "translatey":
        return img.transform(img.size, Image.AFFINE, (1, 0, 0, 0, 1, m * h * sign), fillcolor=FILL)
    if op == "rotate":
        return rotate_with_fill(img, m)
    if op == "color":
        return ImageEnhance.Color(img).enhance(1 + m * sign)
    if op == "contrast":
        return ImageEnhance.Contrast(img).enhance(1 + m * sign)
    if op == "sharpness":
        return ImageEnhance.Sharpness(img).enhance(1 + m * sign)
    if op == "brightness":
        return ImageEnhance.Brightness(img).enhance(1 + m * sign)
    if op == "posterize":
        return ImageOps.posterize(img, int(m))
    if op == "solarize":
        return ImageOps.solarize(img, m)
    if op == "autocontrast":
        return ImageOps.autocontrast(img)
    if op == "equalize":
        return ImageOps.equalize(img)
    if op == "invert":
        return ImageOps.invert(img)
    raise ValueError(op)


SIGNED = ["shearx", "sheary", "translatex", "translatey", "color", "contrast", "sharpness", "brightness"]
LEVELED = ["rotate", "posterize", "solarize"]
PLAIN = ["autocontrast", "equalize", "invert"]
GEOMETRIC = {"shearx", "sheary", "translatex", "translatey", "rotate"}


def package_cutout(img, cx, cy, size):
    # The package's Cutout with its random centre fixed: the square
    # [cx - size//2, cx + size//2) x [cy - size//2, cy + size//2), clipped,
    # painted (125, 122, 113).
    out = img.copy()
    w, h = out.size
    px = out.load()
    half = int(size) // 2
    for x in range(max(0, cx - half), min(w, cx + half)):
        for y in range(max(0, cy - half), min(h, cy + half)):
            px[x, y] = (125, 122, 113)
    return out


def asl_cutout(img, cx, cy, factor, color):
    # ASL's CutoutPIL with its centre and colour fixed; ImageDraw's rectangle
    # includes both corners.
    out = img.copy()
    w, h = out.size
    draw = ImageDraw.Draw(out)
    cw = int(factor * w + 0.5)
    ch = int(factor * h + 0.5)
    x1 = int(np.clip(cx - cw // 2, 0, w))
    x2 = int(np.clip(cx + cw // 2, 0, w))
    y1 = int(np.clip(cy - ch // 2, 0, h))
    y2 = int(np.clip(cy + ch // 2, 0, h))
    draw.rectangle([x1, y1, x2, y2], fill=color)
    return out


def main():
    imgs = images()
    rg = ranges()
    cases = []
    for name, img in imgs.items():
        for op in PLAIN:
            cases.append(dict(op=op, image=name, level=0, sign=0, out=b64(apply(op, img, 0, 0))))
        for op in LEVELED:
            if op == "rotate" and name in ("narrow8x8", "const6x4"):
                continue
            for level in range(1, 10):
                m = rg[op][level]
                cases.append(dict(op=op, image=name, level=level, sign=0, out=b64(apply(op, img, m, 0))))
        for op in SIGNED:
            if op in GEOMETRIC and name in ("narrow8x8", "const6x4"):
                continue
            for level in range(1, 10):
                for sign in (-1, 1):
                    m = rg[op][level]
                    cases.append(dict(op=op, image=name, level=level, sign=sign, out=b64(apply(op, img, m, sign))))

    cutouts = []
    for name in ("r5x4", "r13x11"):
        img = imgs[name]
        w, h = img.size
        for level in range(1, 10):
            size = int(rg["cutout"][level])
            for cx, cy in ((0, 0), (w - 1, h - 1), (w // 2, h // 3), (1, h - 2)):
                cutouts.append(dict(kind="package", image=name, level=level, cx=cx, cy=cy,
                                    out=b64(package_cutout(img, cx, cy, size))))
    for name in ("r5x4", "r13x11", "grad16x12"):
        img = imgs[name]
        w, h = img.size
        for factor in (0.4, 0.5):
            for cx, cy in ((0, 0), (w - 1, h - 1), (w // 2, h // 2), (2, h - 3)):
                color = (int(17 * cx % 256), 200, int(31 * cy % 256))
                cutouts.append(dict(kind="asl", image=name, factor=factor, cx=cx, cy=cy, color=color,
                                    out=b64(asl_cutout(img, cx, cy, factor, color))))

    # Rotations outside the package's levels: Pillow's transpose shortcuts
    # (180 always, 90/270 on square images) and the affine path elsewhere.
    rotations = []
    for name in ("r5x4", "r8x8", "grad16x12"):
        for deg in (90.0, 180.0, 270.0, 45.0, 359.5, 123.25):
            rotations.append(dict(image=name, deg=deg, out=b64(rotate_with_fill(imgs[name], deg))))

    # General bicubic affine maps (the shears only ever hit dx == 0 or dy == 0):
    # both fractional parts non-zero, scaling up and down, rows and columns
    # beyond the edges.
    affines = []
    mats = [(0.9, 0.2, 0.3, -0.15, 1.1, 0.7), (1.3, -0.4, -1.2, 0.25, 0.8, 2.1),
            (0.5, 0.1, 3.3, 0.1, 0.45, 2.9), (1.0, 0.0, 0.37, 0.0, 1.0, -0.61)]
    for name in ("r8x8", "grad16x12", "r5x4"):
        for a in mats:
            out = imgs[name].transform(imgs[name].size, Image.AFFINE, a, Image.BICUBIC, fillcolor=(9, 99, 199))
            affines.append(dict(image=name, a=list(a), fill=[9, 99, 199], out=b64(out)))

    # Full training size: SHA-256 of PIL's output at 448 x 448 on an image
    # given by a formula the Go test rebuilds, so that large-image rounding
    # (fixed-point rotation, accumulated translation positions) is checked.
    yy, xx = np.mgrid[0:448, 0:448]
    big = np.stack([(xx * xx + 3 * yy + xx * yy) % 256, (5 * xx + 7 * yy + 17) % 256,
                    (xx * 11 + yy * yy) % 256], axis=-1).astype(np.uint8)
    big = Image.fromarray(big, "RGB")
    full = []
    for op in PLAIN + LEVELED + SIGNED:
        levels = [0] if op in PLAIN else [1, 4, 7, 9]
        signs = (-1, 1) if op in SIGNED else (0,)
        for level in levels:
            for sign in signs:
                out = apply(op, big, rg[op][level] if level else 0, sign)
                full.append(dict(op=op, level=level, sign=sign, sha256=hashlib.sha256(out.tobytes()).hexdigest()))

    flips = [dict(image=n, out=b64(im.transpose(Image.FLIP_LEFT_RIGHT))) for n, im in imgs.items()]
    gray = [dict(image=n, out=base64.b64encode(im.convert("L").tobytes()).decode("ascii")) for n, im in imgs.items()]

    doc = dict(
        generator="augment/testdata/gen_augment.py",
        pil_version=PIL.__version__,
        numpy_version=np.__version__,
        magnitudes={k: [float(x) for x in v] for k, v in rg.items()},
        images={n: dict(w=im.size[0], h=im.size[1], pix=b64(im)) for n, im in imgs.items()},
        cases=cases,
        cutouts=cutouts,
        rotations=rotations,
        affines=affines,
        full448=full,
        flips=flips,
        gray=gray,
    )
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "augment_fixtures.json")
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path}: {len(cases)} op cases, {len(cutouts)} cutouts, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()

"""Writes the small image fixtures of package data (run from this folder
with Debian's python3 + PIL; the Go tests never run Python).

img/rgb8x6.*      one 8x6 RGB picture in each lossless format, and rgb8x6.raw
                  (its 144 bytes, row-major RGB) that every decode must equal
img/q444*.jpg     a smooth 16x12 picture as 4:4:4 JPEG, baseline and
                  progressive, and q444.raw: PIL's (libjpeg's) decode of the
                  baseline file, which Go's decoder must match within a few
                  levels (the IDCTs differ in rounding)
img/gray8x6.png   greyscale, must decode to R = G = B
img/alpha8x6.png  RGBA with transparency: the decode keeps the stored RGB
img/pil_*.jpg     a textured 37x29 picture as baseline JPEGs with optimized
                  (non-standard) Huffman tables at 4:4:4, 4:2:2 and 4:2:0, and
                  in grayscale: the fast JPEG decoder must give image/jpeg's
                  pixels on a third-party encoder's files
img/exif6.jpg     16x8 quadrants (red, green / blue, white) tagged EXIF
                  orientation 6: cv2.imread turns it to 8x16 (blue, red / white, green)
voc/VOC2007/JPEGImages/*.jpg   8x8 stand-ins for the hand-written VOC fixture
"""
import os
from PIL import Image

os.makedirs("img", exist_ok=True)

W, H = 8, 6
px = []
for y in range(H):
    for x in range(W):
        px.append(((x * 37 + y * 11) % 256, (x * 5 + y * 53 + 17) % 256, (255 - x * 29 - y * 7) % 256))
rgb = Image.new("RGB", (W, H))
rgb.putdata(px)
with open("img/rgb8x6.raw", "wb") as f:
    f.write(bytes(c for p in px for c in p))
rgb.save("img/rgb8x6.png")
rgb.save("img/rgb8x6.bmp")
rgb.save("img/rgb8x6.tiff")
rgb.save("img/rgb8x6.webp", lossless=True)
# GIF: an exact palette holding the 48 colours, no dithering.
pal = Image.new("P", (W, H))
colors = sorted(set(px))
flat = [c for col in colors for c in col]
pal.putpalette(flat + [0] * (768 - len(flat)))
pal.putdata([colors.index(p) for p in px])
pal.save("img/rgb8x6.gif")

gray = Image.new("L", (W, H))
gray.putdata([(x * 30 + y * 7) % 256 for y in range(H) for x in range(W)])
gray.save("img/gray8x6.png")

rgba = Image.new("RGBA", (W, H))
rgba.putdata([p + ((x * 40) % 256,) for p, x in zip(px, [i % W for i in range(W * H)])])
rgba.save("img/alpha8x6.png")

# Smooth picture for JPEG (no sharp edges, so decoders agree closely).
JW, JH = 16, 12
smooth = Image.new("RGB", (JW, JH))
smooth.putdata([(40 + 10 * x, 60 + 12 * y, 200 - 5 * x - 4 * y) for y in range(JH) for x in range(JW)])
smooth.save("img/q444.jpg", quality=95, subsampling=0)
smooth.save("img/q444_progressive.jpg", quality=95, subsampling=0, progressive=True)
dec = Image.open("img/q444.jpg").convert("RGB")
with open("img/q444.raw", "wb") as f:
    f.write(dec.tobytes())

quad = Image.new("RGB", (16, 8))
quad.putdata([((255, 0, 0) if x < 8 else (0, 255, 0)) if y < 4 else ((0, 0, 255) if x < 8 else (255, 255, 255))
              for y in range(8) for x in range(16)])
exif = Image.Exif()
exif[0x0112] = 6
quad.save("img/exif6.jpg", quality=95, subsampling=0, exif=exif.tobytes())

os.makedirs("voc/VOC2007/JPEGImages", exist_ok=True)
for i, name in enumerate(["v1", "v2", "v3", "v4"]):
    Image.new("RGB", (8, 8), (30 * i, 100, 200)).save(f"voc/VOC2007/JPEGImages/{name}.jpg", quality=90)

# Baseline JPEGs from another encoder (libjpeg-turbo through PIL), with
# optimized Huffman tables, for data/jpeg_test.go.
tex = Image.new("RGB", (37, 29))
tex.putdata([((x * 37 + y * 11) % 256, (x * x + 3 * y) % 256, (200 + 7 * x - 5 * y) % 256) for y in range(29) for x in range(37)])
for sub, tag in [(0, "444"), (1, "422"), (2, "420")]:
    tex.save(f"img/pil_{tag}.jpg", quality=85, subsampling=sub, optimize=True)
tex.convert("L").save("img/pil_gray.jpg", quality=85, optimize=True)

// Runs exported classifiers in ONNX Runtime on fixed images and compares
// their scores with `multilabel predict -json` on the same images; times
// ONNX Runtime per image. Driven by check_ort.sh, which prepares DIR:
//
//   DIR/images/*.bmp                 images already at the model's input size
//   DIR/runs/NAME/model.json         the run's spec (size, normalization)
//   DIR/runs/NAME/model.onnx         `multilabel export`
//   DIR/runs/NAME/predict.jsonl      `multilabel predict -json` (thresholds 0: every class)
//
// The pixels are decoded and normalized here, (p/255 - mean)/std, not by Go
// code, so the comparison covers the whole path from image file to score.
// Prints one JSON line per run and exits 1 if any score differs by more
// than 1e-4 relative.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';

const dir = process.argv[2];
const reps = Number(process.argv[3] ?? 5);
const only = process.argv[4]; // one run name, or all runs with a model.onnx
if (!dir) throw new Error('usage: node ort_check.mjs DIR [reps] [run]');
const tol = 1e-4;

// decodeBMP reads an uncompressed 24- or 32-bit BMP into RGB rows.
function decodeBMP(buf) {
  if (buf.toString('latin1', 0, 2) !== 'BM') throw new Error('not a BMP');
  const off = buf.readUInt32LE(10);
  const w = buf.readInt32LE(18);
  let h = buf.readInt32LE(22);
  const bpp = buf.readUInt16LE(28);
  const comp = buf.readUInt32LE(30);
  if ((bpp !== 24 && bpp !== 32) || (comp !== 0 && comp !== 3)) throw new Error(`BMP ${bpp} bpp, compression ${comp}`);
  const topDown = h < 0;
  h = Math.abs(h);
  const stride = Math.ceil((w * bpp) / 32) * 4;
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const row = off + (topDown ? y : h - 1 - y) * stride;
    for (let x = 0; x < w; x++) {
      const p = row + x * (bpp / 8);
      rgb[(y * w + x) * 3] = buf[p + 2];
      rgb[(y * w + x) * 3 + 1] = buf[p + 1];
      rgb[(y * w + x) * 3 + 2] = buf[p];
    }
  }
  return { w, h, rgb };
}

const norms = {
  half: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
};

// toCHW normalizes one image into out at offset (float32 arithmetic, as the
// Go lookup table computes it).
function toCHW(img, norm, out, offset) {
  const { w, h, rgb } = img;
  const f = Math.fround;
  for (let c = 0; c < 3; c++) {
    const m = f(norm.mean[c]);
    const s = f(norm.std[c]);
    for (let i = 0; i < w * h; i++) {
      out[offset + c * w * h + i] = f(f(f(rgb[i * 3 + c]) / 255 - m) / s);
    }
  }
}

const imgDir = path.join(dir, 'images');
const imgNames = fs.readdirSync(imgDir).filter((f) => f.endsWith('.bmp')).sort();
const images = imgNames.map((f) => decodeBMP(fs.readFileSync(path.join(imgDir, f))));
let failed = 0;
for (const run of fs.readdirSync(path.join(dir, 'runs')).sort()) {
  const rd = path.join(dir, 'runs', run);
  if (only && run !== only) continue;
  if (!fs.existsSync(path.join(rd, 'model.onnx'))) continue;
  const spec = JSON.parse(fs.readFileSync(path.join(rd, 'model.json'), 'utf8'));
  const norm = norms[spec.norm] ?? norms.half;
  const s = spec.size;
  // predict.jsonl: one line per image, every class (thresholds are 0).
  const want = new Map();
  for (const line of fs.readFileSync(path.join(rd, 'predict.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line);
    const m = new Map(r.labels.map((l) => [l.class, l.score]));
    want.set(path.basename(r.image), m);
  }
  const session = await ort.InferenceSession.create(path.join(rd, 'model.onnx'));
  // One batch of all images (the dynamic batch dimension).
  const n = images.length;
  const x = new Float32Array(n * 3 * s * s);
  images.forEach((img, i) => {
    if (img.w !== s || img.h !== s) throw new Error(`${imgNames[i]} is ${img.w}x${img.h}, model wants ${s}x${s}`);
    toCHW(img, norm, x, i * 3 * s * s);
  });
  const out = (await session.run({ images: new ort.Tensor('float32', x, [n, 3, s, s]) })).scores;
  const c = spec.classes.length;
  let worst = 0;
  let where = '';
  let minScore = 1;
  let maxScore = 0;
  for (let i = 0; i < n; i++) {
    const w = want.get(imgNames[i]);
    if (!w) throw new Error(`${run}: predict.jsonl has no line for ${imgNames[i]}`);
    for (let j = 0; j < c; j++) {
      const g = w.get(spec.classes[j]);
      if (g === undefined) throw new Error(`${run}: predict gave no score for ${spec.classes[j]} on ${imgNames[i]}`);
      const o = out.data[i * c + j];
      minScore = Math.min(minScore, g);
      maxScore = Math.max(maxScore, g);
      const r = Math.abs(o - g) / Math.max(Math.abs(g), 1e-30);
      if (r > worst) {
        worst = r;
        where = `${imgNames[i]} ${spec.classes[j]}: ort ${o} predict ${g}`;
      }
    }
  }
  // Time batch-1 runs: warm-up, then the median over reps×images.
  const one = new Float32Array(3 * s * s);
  toCHW(images[0], norm, one, 0);
  const t1 = new ort.Tensor('float32', one, [1, 3, s, s]);
  await session.run({ images: t1 });
  const ts = [];
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      await session.run({ images: t1 });
      ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  ts.sort((a, b) => a - b);
  const ok = worst <= tol;
  if (!ok) failed++;
  console.log(JSON.stringify({
    run, backbone: spec.backbone, head: spec.head, size: s, images: n, classes: c,
    max_rel_diff: Number(worst.toPrecision(3)), ok, worst: where,
    score_range: [Number(minScore.toPrecision(4)), Number(maxScore.toPrecision(4))],
    ort_ms_median: Number(ts[ts.length >> 1].toFixed(2)), ort_ms_min: Number(ts[0].toFixed(2)),
    ort_version: ort.env.versions.common, cpus: os.cpus().length,
  }));
}
process.exit(failed ? 1 : 0);

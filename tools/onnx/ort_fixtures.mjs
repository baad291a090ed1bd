// Runs every onnx/testdata/*.onnx in ONNX Runtime on onnx/testdata/input.f32
// ([2, 3, 64, 64] float32, little endian) and records the scores beside
// each file as <name>.ort.json, which `go test ./onnx` compares with our own
// forward pass. Run it through record_fixtures.sh.
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

const dir = process.argv[2] ?? 'onnx/testdata';
const raw = fs.readFileSync(path.join(dir, 'input.f32'));
const x = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const size = Math.round(Math.sqrt(x.length / 6));
const input = new ort.Tensor('float32', Float32Array.from(x), [2, 3, size, size]);
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort();
if (files.length === 0) throw new Error(`no .onnx files in ${dir}`);
for (const f of files) {
  const session = await ort.InferenceSession.create(path.join(dir, f));
  const out = await session.run({ images: input });
  const s = out.scores;
  const rec = { ort_version: ort.env.versions.common, shape: s.dims.map(Number), scores: Array.from(s.data) };
  fs.writeFileSync(path.join(dir, f.replace(/\.onnx$/, '.ort.json')), JSON.stringify(rec) + '\n');
  console.log(`${f}: scores ${rec.shape.join('x')}, first ${rec.scores.slice(0, 3).map((v) => v.toFixed(6)).join(' ')}`);
}

// Drives the in-browser classifier (examples/wasm) in headless Chromium
// and checks it against `multilabel predict`. Run it through
// browser_test.sh, which trains or picks a run, serves the page and records
// what predict says:
//
//   node browser_test.mjs URL EXPECT.jsonl OUTDIR BAD_FILE IMAGE...
//
// For each image: pick it in the page's file input, wait for the result,
// read the labels the page shows (each row carries data-class and
// data-score) and require the same classes, in the same order, as predict
// -json, with scores within 1e-5. BAD_FILE (not an image) must give the
// page's error message, not a crash. Prints one JSON line with the wasm
// times and writes OUTDIR/page.png (a screenshot after the last image).
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [url, expectPath, outDir, badFile, ...images] = process.argv.slice(2);
if (!url || images.length === 0) throw new Error('usage: node browser_test.mjs URL EXPECT.jsonl OUTDIR BAD_FILE IMAGE...');
const want = new Map();
for (const line of fs.readFileSync(expectPath, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const r = JSON.parse(line);
  want.set(path.resolve(r.image), r.labels);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
let failures = 0;
const fail = (msg) => { failures++; console.error('FAIL:', msg); };
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => fail(`page error: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('status').dataset.ready !== '0', null, { timeout: 120000 });
  const ready = await page.$eval('#status', (e) => [e.dataset.ready, e.textContent, document.getElementById('error').textContent]);
  if (ready[0] !== '1') throw new Error(`the page did not load the model: ${ready[1]} ${ready[2]}`);
  console.error(ready[1]);
  const loadMs = Number((ready[1].match(/loaded in (\d+) ms/) || [])[1]);
  const loadMarks = JSON.parse(await page.$eval('#timing', (e) => e.dataset.marks || '{}'));

  let count = 0;
  const classify = async (file) => {
    await page.setInputFiles('#file', file);
    count++;
    await page.waitForFunction((n) => document.getElementById('result').dataset.count === String(n), count, { timeout: 120000 });
  };
  const ms = [];
  const ties = [];
  for (const img of images) {
    await classify(img);
    const shown = await page.$$eval('#labels tbody tr[data-class]', (rows) => rows.map((r) => ({ class: r.dataset.class, score: Number(r.dataset.score), threshold: Number(r.dataset.threshold) })));
    const err = await page.$eval('#result', (e) => e.dataset.error);
    if (err) { fail(`${img}: the page says ${err}`); continue; }
    ms.push(Number(await page.$eval('#time', (e) => e.dataset.ms)));
    const exp = want.get(path.resolve(img));
    if (!exp) { fail(`${img}: no predict output`); continue; }
    // The same classes with the same scores. The page computes in pure Go
    // (WebAssembly), predict with the amd64 kernels: scores agree to
    // ~1e-7, so a class whose score sits on its threshold (tuned thresholds
    // are scores of tuning images) may fall on either side: such ties are
    // reported, not failed.
    const thrOf = new Map(shown.map((l) => [l.class, l.threshold]));
    const pageMap = new Map(shown.map((l) => [l.class, l.score]));
    const predMap = new Map(exp.map((l) => [l.class, l]));
    for (const l of exp) thrOf.set(l.class, l.threshold);
    for (const [c, sc] of pageMap) {
      const p = predMap.get(c);
      if (p) {
        if (Math.abs(sc - p.score) > 1e-5) fail(`${img}: ${c} score ${sc} on the page, ${p.score} from predict`);
      } else if (!(Math.abs(sc - (thrOf.get(c) ?? Infinity)) <= 1e-5)) {
        fail(`${img}: the page shows ${c} (${sc}), predict does not`);
      } else ties.push(`${path.basename(img)} ${c}: ${sc} on its threshold`);
    }
    for (const l of exp) {
      if (!pageMap.has(l.class)) {
        if (Math.abs(l.score - l.threshold) <= 1e-5) ties.push(`${path.basename(img)} ${l.class}: ${l.score} on its threshold ${l.threshold}`);
        else fail(`${img}: predict gives ${l.class} (${l.score}), the page does not`);
      }
    }
    const order = (xs) => xs.filter((c) => pageMap.has(c) && predMap.has(c)).join(', ');
    if (order(shown.map((l) => l.class)) !== order(exp.map((l) => l.class))) fail(`${img}: labels in another order`);
    const a = shown.map((l) => l.class).join(', ');
    const b = exp.map((l) => l.class).join(', ');
    console.error(`${path.basename(img)}: [${a}] (predict: [${b}])`);
  }
  await page.screenshot({ path: path.join(outDir, 'page.png'), fullPage: true });

  // A file the browser cannot decode as an image: a message, no crash.
  await classify(badFile);
  const bad = await page.$eval('#result', (e) => e.dataset.error);
  const shownErr = await page.$eval('#error', (e) => e.textContent);
  if (!bad.includes('could not be decoded') || !shownErr.includes(path.basename(badFile))) fail(`bad file: error "${bad}", shown "${shownErr}"`);
  else console.error(`bad file: "${shownErr}"`);
  // The page still works after it.
  await classify(images[0]);
  if (await page.$eval('#result', (e) => e.dataset.error)) fail('the page did not recover after the bad file');

  ms.sort((x, y) => x - y);
  console.log(JSON.stringify({
    images: images.length, matched: failures === 0, ties, model_load_ms: loadMs, load_marks_ms: loadMarks, wasm_ms_median: ms[ms.length >> 1], wasm_ms_min: ms[0],
    chromium: browser.version(),
  }));
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);

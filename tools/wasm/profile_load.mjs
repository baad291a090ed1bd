// Profiles the page's start in headless Chromium: where the time from
// opening the page to the model being ready goes (docs/deploy.md). Serve
// the page first (go run ./examples/wasm/serve -run RUN), then
//
//   node profile_load.mjs URL [LOADS] [OUT.cpuprofile]
//
// opens URL LOADS times (default 5), each in a fresh browser context (no
// cache), and prints the page's load line and timing marks (ms since the
// page's script started: main.wasm compiled, Go started, model files
// downloaded, network built). With OUT it records V8's CPU profile of the
// last load (open it in Chrome's DevTools, Performance panel) and prints
// the functions with the most self time.
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const [url, loadsArg, out] = process.argv.slice(2);
if (!url) throw new Error('usage: node profile_load.mjs URL [LOADS] [OUT.cpuprofile]');
const loads = Number(loadsArg || 5);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', ...(process.env.CHROMIUM_ARGS ? process.env.CHROMIUM_ARGS.split(' ') : [])] });
try {
  for (let i = 0; i < loads; i++) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const profile = out && i === loads - 1;
    let cdp;
    if (profile) {
      cdp = await ctx.newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
      await cdp.send('Profiler.start');
    }
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('status').dataset.ready !== '0', null, { timeout: 120000 });
    const [ready, text, marks] = await page.$eval('#status', (e) => [e.dataset.ready, e.textContent, document.getElementById('timing').dataset.marks]);
    if (ready !== '1') throw new Error(`the page did not load the model: ${text}`);
    console.log(JSON.stringify({ load: i + 1, marks: JSON.parse(marks || '{}'), status: text }));
    if (profile) {
      const { profile: p } = await cdp.send('Profiler.stop');
      fs.writeFileSync(out, JSON.stringify(p));
      printTop(p, 25);
    }
    await ctx.close();
  }
} finally {
  await browser.close();
}

// printTop prints the functions with the most self time in a V8 profile.
function printTop(p, n) {
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const f = byId.get(p.samples[i]).callFrame;
    const name = f.functionName || `(anonymous ${f.url.split('/').pop()}:${f.lineNumber})`;
    self.set(name, (self.get(name) || 0) + (p.timeDeltas[i + 1] ?? 0) / 1000);
  }
  console.log('self time, ms:');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(v.toFixed(1).padStart(9), k);
}

// Profiles the page's start in headless Chromium: where the time from
// opening the page to the model being ready goes (docs/deploy.md). Serve
// the page first (go run ./examples/wasm/serve -run RUN), then
//
//   node profile_load.mjs URL[,URL2...] [LOADS] [OUT.cpuprofile]
//
// opens URL LOADS times (default 5), each in a fresh browser context (no
// cache), and prints the page's load line and timing marks (ms since the
// page's script started: main.wasm compiled, Go started, model files
// downloaded, network built), then the median of each mark. Several URLs
// (a page before and after a change, served on two ports) are opened in
// turn, one load each per round, so that they share the machine's load.
// With OUT it records V8's CPU profile of the last load (open it in
// Chrome's DevTools, Performance panel) and prints the functions with the
// most self time. On Linux each load also reports cpu_ms (not with
// PLAIN=1, where it would include Chromium's start): the CPU time
// Chromium's processes (browser, renderer, network, GPU) spent from
// opening the page to the model being ready, which depends much less than
// the marks on how busy the machine is.
//
// MBIT=100 (with LATENCY_MS=20, say) has Chromium emulate a link of that
// download speed, as DevTools' throttling does (not with PLAIN=1): on the
// loopback the bytes cost nothing to move, over a network they do.
//
// PLAIN=1 measures without the DevTools protocol watching the load: each
// load is a fresh Chromium opening the URL from its command line, and the
// marks are read over the protocol only after the page says it is ready
// (Playwright's instrumentation, which sees every byte the page receives,
// makes the 15 MB download markedly slower than a user's browser has it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';

const [urlArg, loadsArg, out] = process.argv.slice(2);
if (!urlArg) throw new Error('usage: node profile_load.mjs URL[,URL2...] [LOADS] [OUT.cpuprofile]');
const urls = urlArg.split(',');
const loads = Number(loadsArg || 5);
const exe = process.env.CHROMIUM ?? '/usr/bin/chromium';
const extra = process.env.CHROMIUM_ARGS ? process.env.CHROMIUM_ARGS.split(' ') : [];
const plain = process.env.PLAIN === '1';
const marksOf = new Map(urls.map((u) => [u, []]));

// cpuMs sums the user+system CPU time, in ms, of pid's descendants (here:
// the Chromium that Playwright started; null where /proc cannot tell).
function cpuMs(pid) {
  const kids = new Map();
  const cpu = new Map();
  let names;
  try { names = fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x)); } catch { return null; }
  for (const p of names) {
    let st;
    try { st = fs.readFileSync(`/proc/${p}/stat`, 'utf8'); } catch { continue; }
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(f[1]);
    if (!kids.has(ppid)) kids.set(ppid, []);
    kids.get(ppid).push(Number(p));
    cpu.set(Number(p), (Number(f[11]) + Number(f[12])) * 1000 / 100); // clock ticks: 100 a second
  }
  let sum = -(cpu.get(pid) || 0);
  for (const stack = [pid]; stack.length;) {
    const p = stack.pop();
    sum += cpu.get(p) || 0;
    stack.push(...(kids.get(p) || []));
  }
  return sum;
}

const readMarks = async (page) => {
  await page.waitForFunction(() => document.getElementById('status').dataset.ready !== '0', null, { timeout: 120000 });
  const [ready, text, marks] = await page.$eval('#status', (e) => [e.dataset.ready, e.textContent, document.getElementById('timing').dataset.marks]);
  if (ready !== '1') throw new Error(`the page did not load the model: ${text}`);
  return [JSON.parse(marks || '{}'), text];
};

// plainLoad opens url in a Chromium of its own, with nothing attached,
// waits (polling its DevTools port's list of pages for the title the page
// sets when ready), then attaches to read the marks.
async function plainLoad(url) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-load-'));
  const proc = spawn(exe, ['--headless', '--no-sandbox', '--no-first-run', `--user-data-dir=${dir}`, '--remote-debugging-port=0', ...extra, url], { stdio: 'ignore' });
  try {
    let port;
    for (let t = 0; t < 600; t++) {
      await new Promise((r) => setTimeout(r, 100));
      try { port = fs.readFileSync(path.join(dir, 'DevToolsActivePort'), 'utf8').split('\n')[0]; break; } catch {}
    }
    if (!port) throw new Error('Chromium did not start');
    for (let t = 0; t < 1200; t++) {
      const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
      if (list.some((p) => p.type === 'page' && /^multilabel: (ready|error)/.test(p.title))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
    try {
      return await readMarks(browser.contexts()[0].pages()[0]);
    } finally {
      const cdp = await browser.newBrowserCDPSession();
      await cdp.send('Browser.close').catch(() => {}); // the whole browser, not just this connection
      await browser.close();
    }
  } finally {
    const exited = new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    proc.kill();
    await exited;
    await new Promise((r) => setTimeout(r, 500)); // its child processes, writing their last files
    try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 200 }); } catch (e) { console.error(`(left ${dir}: ${e.message})`); }
  }
}

const browser = plain ? null : await chromium.launch({ executablePath: exe, headless: true, args: ['--no-sandbox', ...extra] });
try {
  for (let i = 0; i < loads; i++) {
    for (const url of urls) {
      let marks, text;
      if (plain) {
        [marks, text] = await plainLoad(url);
      } else {
        const ctx = await browser.newContext();
        const page = await ctx.newPage();
        const profile = out && i === loads - 1 && url === urls[urls.length - 1];
        let cdp;
        if (process.env.MBIT) {
          const net = await ctx.newCDPSession(page);
          await net.send('Network.enable');
          await net.send('Network.emulateNetworkConditions', {
            offline: false, latency: Number(process.env.LATENCY_MS || 0),
            downloadThroughput: Number(process.env.MBIT) * 1e6 / 8, uploadThroughput: Number(process.env.MBIT) * 1e6 / 8,
          });
        }
        if (profile) {
          cdp = await ctx.newCDPSession(page);
          await cdp.send('Profiler.enable');
          await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
          await cdp.send('Profiler.start');
        }
        const pid = process.pid;
        const cpu0 = cpuMs(pid);
        await page.goto(url);
        [marks, text] = await readMarks(page);
        const cpu1 = cpuMs(pid);
        if (cpu0 !== null && cpu1 !== null) marks.cpu_ms = Math.round(cpu1 - cpu0);
        if (profile) {
          const { profile: p } = await cdp.send('Profiler.stop');
          fs.writeFileSync(out, JSON.stringify(p));
          printTop(p, 25);
        }
        await ctx.close();
      }
      marksOf.get(url).push(marks);
      console.log(JSON.stringify({ load: i + 1, url, marks, status: text }));
    }
  }
} finally {
  if (browser) await browser.close();
}
for (const [url, ms] of marksOf) {
  const med = {};
  for (const k of Object.keys(ms[0])) {
    const v = ms.map((m) => m[k]).sort((a, b) => a - b);
    med[k] = v[(v.length - 1) >> 1];
  }
  console.log(JSON.stringify({ url, loads: ms.length, median: med, model: ms.map((m) => m.model).sort((a, b) => a - b) }));
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

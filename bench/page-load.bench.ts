/**
 * Ordinary page loads with the extension next to without it: two headless Chromiums with the same
 * flags, one with the built extension (its listeners see every navigation), loading the same local
 * page (a document with a stylesheet, a script and an image) alternately, `loadEventEnd` from the
 * Navigation Timing entry. The goal: within noise of each other (a ratio near 1, inside the
 * spread of the runs). Both are persistent profiles launched alike, so the extension is the only
 * difference. BENCH_BEFORE=<built checkout> adds a third browser with that checkout's extension.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH, launchBrowserWithExtension } from '../test/fixtures/browser-harness';
import { line } from './stats';

const LOADS = Number(process.env.BENCH_LOADS ?? 30);

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/style.css') return void res.writeHead(200, { 'content-type': 'text/css' }).end('body { font: 14px sans-serif; }');
  if (path === '/app.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end('document.title = "loaded";');
  if (path === '/pixel.svg') return void res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>');
  res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(
    `<!doctype html><html><head><link rel="stylesheet" href="/style.css?${Math.random()}"><script src="/app.js?${Math.random()}"></script></head>` +
      `<body><h1>An ordinary page</h1><img src="/pixel.svg?${Math.random()}"></body></html>`,
  );
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const withExtension = await launchBrowserWithExtension();
const before = process.env.BENCH_BEFORE;
const older = before ? await launchBrowserWithExtension({ extensionDir: join(before, '.output/chrome-mv3') }) : undefined;
const plainProfile = await mkdtemp(join(tmpdir(), 'mlb-plain-'));
const plain = await chromium.launchPersistentContext(plainProfile, {
  executablePath: CHROMIUM_PATH,
  headless: true,
  args: ['--disable-gpu', '--disable-quic', '--disable-component-update', '--disable-background-networking', '--headless=new', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
});
type Which = 'with' | 'without' | 'before';
try {
  const pages: Partial<Record<Which, import('playwright-core').Page>> = { with: await withExtension.context.newPage(), without: await plain.newPage() };
  if (older) pages.before = await older.context.newPage();
  const loads: Record<Which, number[]> = { with: [], without: [], before: [] };
  const load = async (which: Which, i: number) => {
    await pages[which]!.goto(`${origin}/page-${i}`, { waitUntil: 'load' });
    return pages[which]!.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd);
  };
  const browsers = Object.keys(pages) as Which[];
  for (const which of browsers) await load(which, -1);
  for (let i = 0; i < LOADS; i++) {
    // Rotating which goes first, so none always follows another.
    const order = browsers.map((_, k) => browsers[(k + i) % browsers.length]!);
    for (const which of order) loads[which].push(await load(which, i));
  }
  console.log(`page loads (loadEventEnd), ${LOADS} each, alternating:`);
  console.log(line('without the extension (baseline)', loads.without));
  console.log(line('with the extension', loads.with, loads.without));
  if (older) console.log(line(`with the extension before (${before})`, loads.before, loads.without));
} finally {
  await plain.close();
  await rm(plainProfile, { recursive: true, force: true });
  await older?.close();
  await withExtension.close();
  server.close();
}

/**
 * Ordinary page loads with the extension next to without it: two headless Chromiums with the same
 * flags, one with the built extension (its listeners see every navigation), loading the same local
 * page (a document with a stylesheet, a script and an image) alternately, `loadEventEnd` from the
 * Navigation Timing entry. The goal: within noise of each other (a ratio near 1, inside the
 * spread of the runs).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
const plain = await chromium.launch({
  executablePath: CHROMIUM_PATH,
  headless: true,
  args: ['--disable-gpu', '--disable-quic', '--disable-component-update', '--disable-background-networking', '--headless=new', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
});
try {
  const pages = { with: await withExtension.context.newPage(), without: await (await plain.newContext()).newPage() };
  const loads = { with: [] as number[], without: [] as number[] };
  const load = async (which: 'with' | 'without', i: number) => {
    await pages[which].goto(`${origin}/page-${i}`, { waitUntil: 'load' });
    return pages[which].evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd);
  };
  await load('with', -1);
  await load('without', -1);
  for (let i = 0; i < LOADS; i++) {
    // Alternating which goes first, so neither always follows the other.
    const order = i % 2 ? (['with', 'without'] as const) : (['without', 'with'] as const);
    for (const which of order) loads[which].push(await load(which, i));
  }
  console.log(`page loads (loadEventEnd), ${LOADS} each, alternating:`);
  console.log(line('without the extension (baseline)', loads.without));
  console.log(line('with the extension', loads.with, loads.without));
} finally {
  await plain.close();
  await withExtension.close();
  server.close();
}

/**
 * The whole product's share of a login as the user sees it, in real Chromium with the real host,
 * next to the provider's token endpoint answering a code exchange measured in the same run. From
 * the moment the extension's callback page starts loading (the callback was captured) to:
 * - stored: the background has the host's answer (code redeemed, credential written), read from
 *   the result's `updatedAt` in the history the background keeps;
 * - shown: the result is on the callback page.
 * The two differ once the background sends `complete` without waiting for the page to ask.
 * The provider and MCP server run in a process of their own (as real ones do), so Playwright's
 * work in this process cannot slow their answers. Each login is also checked to have reached the
 * host once: one `complete` sent by the background, no duplicate, one code exchange at the provider.
 *
 * Beside the literal baseline (the token endpoint alone), a fixed-cost one measured in the
 * same loop: what any login through a browser extension and a native host must pay whatever its
 * code does, i.e. the token endpoint + one native-messaging echo round trip in the same Chromium
 * (a request the host answers at once, on a port of its own) + one keychain setPassword on a kept
 * item (as the host's write is: `begin` read that item). The ratio against it is what is ours. The
 * echo is timed twice: at a quiet moment, and sent as the background sends `complete` (crossing
 * Chromium while the callback page loads, as the login's own messages do); the second is what the
 * login's native-messaging time should be compared with.
 *
 * BENCH_BEFORE=<dir of an earlier checkout, built> runs the same logins, interleaved, in a second
 * Chromium with that checkout's host, and its extension from BENCH_BEFORE_EXTENSION (default
 * <dir>/.output/chrome-mv3), so before and after see the same load.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { NATIVE_HOST_NAME } from '../shared/constants';
import { authorizeInPopup, startLoginWorldWithServersProcess, type SeparateServersLoginWorld } from '../test/e2e/login-world';
import { exchangeAtProvider } from '../test/helpers/direct-exchange';
import { beforeLauncher } from './before-launcher';
import { line } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 8);
const BEFORE = process.env.BENCH_BEFORE;

/** One code exchange at the provider with nothing of ours around it: the baseline. */
async function directExchangeMs(world: SeparateServersLoginWorld): Promise<number> {
  const { status, tokenMs } = await exchangeAtProvider(world.provider, world.mcp.url);
  if (status !== 200) throw new Error(`the provider answered the direct code exchange with HTTP ${status}`);
  return tokenMs;
}

/**
 * One round trip through Chromium's native messaging, timed in the extension's service worker: a
 * message the host answers at once (an unknown type: a numbered error, no I/O), on a port of its
 * own to a host process of its own (the first call opens it and is not timed).
 */
function echoMs(world: SeparateServersLoginWorld): Promise<number> {
  // A string, not a function: tsx's transform would add helpers the worker does not have.
  return world.browser.serviceWorker.evaluate(`(async () => {
    const roundTrip = (echo) => new Promise((resolve) => {
      const id = 'echo-' + ++echo.n;
      const t = performance.now();
      echo.waiting.set(id, () => resolve(performance.now() - t));
      echo.port.postMessage({ id, type: 'benchEcho' });
    });
    if (!globalThis.mlbBenchEcho) {
      const port = chrome.runtime.connectNative(${JSON.stringify(NATIVE_HOST_NAME)});
      const echo = { port, waiting: new Map(), n: 0 };
      port.onMessage.addListener((m) => {
        const done = echo.waiting.get(m.id);
        echo.waiting.delete(m.id);
        if (done) done();
      });
      globalThis.mlbBenchEcho = echo;
      await roundTrip(echo);
      // One more echo each time the background sends \`complete\`: it crosses Chromium while the
      // callback page loads, as the login's own messages do.
      echo.during = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          if (entry.name === 'mlb-complete-sent') roundTrip(echo).then((ms) => echo.during.push(ms));
        }
      }).observe({ type: 'mark' });
    }
    return roundTrip(globalThis.mlbBenchEcho);
  })()`) as Promise<number>;
}

/** The round trip of the echo sent as the background sent the latest login's \`complete\` (see echoMs). */
async function echoDuringLoginMs(world: SeparateServersLoginWorld): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const ms = (await world.browser.serviceWorker.evaluate('globalThis.mlbBenchEcho.during.shift() ?? null')) as number | null;
    if (ms !== null) return ms;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no echo was sent with the login');
}

interface Series {
  endpoint: number[];
  echo: number[];
  echoDuring: number[];
  keychain: number[];
  fixed: number[];
  stored: number[];
  shown: number[];
  endpointDuring: number[];
  seen: number[];
  sent: number[];
  answered: number[];
  pageReady: number[];
  host: number[];
  hostToken: number[];
  hostStore: number[];
  hostCpu: number[];
  transit: number[];
  first?: { stored: number; shown: number; endpoint: number };
}

const newSeries = (): Series => ({
  endpoint: [], echo: [], echoDuring: [], keychain: [], fixed: [], stored: [], shown: [], endpointDuring: [],
  seen: [], sent: [], answered: [], pageReady: [], host: [], hostToken: [], hostStore: [], hostCpu: [], transit: [],
});

/** One login in `world` with its baselines beside it; `record` false for the browser's first (cold) one. */
async function oneLogin(world: SeparateServersLoginWorld, s: Series, i: number, keychainSetMs: () => Promise<number>): Promise<void> {
  const direct = await directExchangeMs(world);
  const echo = await echoMs(world);
  const keychain = await keychainSetMs();
  const sentLines = () => world.browser.consoleMessages.filter((m) => m.includes('sent to the host while the callback page loads')).length;
  const duplicateLines = () => world.browser.consoleMessages.filter((m) => m.includes('duplicate callback')).length;
  const before = { sent: sentLines(), tokenRequests: (await world.provider.counts()).tokenRequests };
  const login = await authorizeInPopup(world.browser, world.mcp.url);
  if (login.state !== 'success') throw new Error(login.text);
  // The login tab ends on the extension's callback page.
  const callbackPage = world.browser.context.pages().find((p) => p.url().includes('/callback.html'));
  if (!callbackPage) throw new Error('no callback page');
  await callbackPage.locator('#result[data-state="success"]').waitFor();
  // The navigation started at the provider and went through its redirects; fetchStart is
  // after the last one, when the captured callback page itself began to load.
  const page = await callbackPage.evaluate(() => {
    const mark = performance.getEntriesByName('mlb-result-shown')[0];
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    if (!mark || !nav) throw new Error('the callback page set no mlb-result-shown mark');
    return { shownMs: mark.startTime - nav.fetchStart, readyMs: nav.domContentLoadedEventEnd - nav.fetchStart, capturedAt: performance.timeOrigin + nav.fetchStart };
  });
  // The newest result is this login's: its updatedAt is Date.now() when the host's answer arrived
  // (epoch ms, the same clock as the page's timeOrigin, to the millisecond).
  const results = await world.browser.serviceWorker.evaluate(async () => {
    const api = (globalThis as unknown as { chrome: { storage: { session: { get(k: string): Promise<Record<string, unknown>> } } } }).chrome;
    return (await api.storage.session.get('recentResults')).recentResults as Array<{ state: string; updatedAt: number }>;
  });
  const latest = results[0];
  if (latest?.state !== 'success') throw new Error('the newest stored result is not the login just made');
  const marks = await world.browser.serviceWorker.evaluate(() =>
    Object.fromEntries(['mlb-callback-seen', 'mlb-complete-sent', 'mlb-complete-answered'].map((n) => [n, performance.timeOrigin + (performance.getEntriesByName(n)[0]?.startTime ?? NaN)])),
  );
  const timings = await world.browser.serviceWorker.evaluate(
    () => (performance.getEntriesByName('mlb-complete-answered')[0] as PerformanceMark | undefined)?.detail as { totalMs: number; tokenEndpointMs: number; storeMs: number; cpuMs?: number } | undefined,
  );
  const echoDuring = await echoDuringLoginMs(world);
  await callbackPage.close();
  await login.popup.close();
  // One delivery: the background's own (not the page's), no duplicate, one code redeemed.
  const after = await world.provider.counts();
  const exchanges = after.tokenRequests - before.tokenRequests;
  if (sentLines() - before.sent !== 1 || duplicateLines() !== 0 || exchanges !== 1) {
    throw new Error(`login ${i} reached the host ${sentLines() - before.sent} time(s) from the background, ${duplicateLines()} duplicate(s), ${exchanges} code exchange(s)`);
  }
  if (i === 0) {
    s.first = { stored: latest.updatedAt - page.capturedAt, shown: page.shownMs, endpoint: direct };
    return;
  }
  s.seen.push(marks['mlb-callback-seen']! - page.capturedAt);
  s.sent.push(marks['mlb-complete-sent']! - page.capturedAt);
  s.answered.push(marks['mlb-complete-answered']! - page.capturedAt);
  s.pageReady.push(page.readyMs);
  if (timings) {
    s.host.push(timings.totalMs);
    s.hostToken.push(timings.tokenEndpointMs);
    s.hostStore.push(timings.storeMs);
    if (timings.cpuMs !== undefined) s.hostCpu.push(timings.cpuMs);
    // Both ways through the browser's native messaging, and the host's reading and writing of frames.
    s.transit.push(marks['mlb-complete-answered']! - marks['mlb-complete-sent']! - timings.totalMs);
  }
  s.stored.push(latest.updatedAt - page.capturedAt);
  s.shown.push(page.shownMs);
  s.endpoint.push(direct);
  s.echo.push(echo);
  s.echoDuring.push(echoDuring);
  s.keychain.push(keychain);
  s.fixed.push(direct + echo + keychain);
  s.endpointDuring.push(after.lastTokenRequestMs!);
}

function report(title: string, s: Series): void {
  console.log(title);
  console.log(line('token endpoint alone (baseline)', s.endpoint));
  console.log(line('capture → stored (background)', s.stored, s.endpoint, 1.5));
  console.log(line('capture → shown on the page', s.shown, s.endpoint, 2));
  console.log(line('native messaging echo round trip', s.echo));
  console.log(line('keychain setPassword (kept item)', s.keychain));
  console.log(line('fixed costs: endpoint + echo + keychain', s.fixed));
  console.log(line('capture → stored vs fixed costs', s.stored, s.fixed));
  console.log(line('capture → shown vs fixed costs', s.shown, s.fixed));
  const fixedDuring = s.fixed.map((f, i) => f - s.echo[i]! + s.echoDuring[i]!);
  console.log(line('fixed costs, the echo sent with complete', fixedDuring));
  console.log(line('capture → stored vs those', s.stored, fixedDuring));
  // The same costs as the login itself meets them while Chromium loads the callback page: the
  // provider's own time for the login's exchange, the echo sent with it (the keychain write as above).
  const fixedAsMet = s.endpointDuring.map((e, i) => e + s.echoDuring[i]! + s.keychain[i]!);
  console.log(line("fixed costs as the login meets them", fixedAsMet));
  console.log(line('capture → stored vs those', s.stored, fixedAsMet));
  console.log(line("login's exchange, provider's own time", s.endpointDuring, s.endpoint));
  console.log(line('capture → stored vs that exchange', s.stored, s.endpointDuring));
  if (s.first) {
    console.log(`  first login of this browser (not above)  stored ${s.first.stored.toFixed(1)} ms, shown ${s.first.shown.toFixed(1)} ms, its token endpoint alone ${s.first.endpoint.toFixed(1)} ms`);
  }
  console.log('  breakdown, from the capture:');
  console.log(line('background sees the callback', s.seen));
  console.log(line('background sends complete', s.sent));
  console.log(line('background has the answer', s.answered));
  console.log(line('callback page loaded (DOMContentLoaded)', s.pageReady));
  if (s.host.length) {
    console.log(line('host: complete, its own time', s.host));
    console.log(line('host: token endpoint', s.hostToken));
    console.log(line('host: store', s.hostStore));
    if (s.hostCpu.length) console.log(line('host: its CPU time meanwhile', s.hostCpu, s.host));
    console.log(line('native messaging, both ways', s.transit, s.echo));
    console.log(line('echo sent with complete (same moment)', s.echoDuring, s.echo));
    console.log(line('native messaging vs that echo', s.transit, s.echoDuring));
    console.log(`  (the complete message's transit against an echo crossing Chromium at the same moment: above 1 is ours)`);
  }
}

const world = await startLoginWorldWithServersProcess({ googleRule: true });
let beforeWorld: SeparateServersLoginWorld | undefined;
try {
  if (BEFORE) {
    beforeWorld = await startLoginWorldWithServersProcess({
      googleRule: true,
      keyring: world.keyring,
      cliBin: beforeLauncher(BEFORE),
      extensionDir: process.env.BENCH_BEFORE_EXTENSION ?? join(BEFORE, '.output/chrome-mv3'),
    });
  }
  // The bench's own keychain writes go to the first world's private keyring (libdbus reads the bus
  // address once per process), to an item of their own, kept open as the host keeps its entry.
  Object.assign(process.env, world.keyring.env);
  const { AsyncEntry } = await import('@napi-rs/keyring');
  const item = new AsyncEntry('mlb-bench', 'fixed-cost', { linux: { store: 'secret-service' } } as never);
  const secret = randomBytes(900).toString('base64'); // about a credential's size
  await item.setPassword(secret);
  const keychainSetMs = async () => {
    const t = performance.now();
    await item.setPassword(secret);
    return performance.now() - t;
  };

  const after = newSeries();
  const before = newSeries();
  // Alternating, so both see the same load on this shared machine; which goes first alternates too.
  for (let i = 0; i <= RUNS; i++) {
    const pair: Array<[SeparateServersLoginWorld, Series]> = [[world, after]];
    if (beforeWorld) pair[i % 2 ? 'unshift' : 'push']([beforeWorld, before]);
    for (const [w, s] of pair) await oneLogin(w, s, i, keychainSetMs);
  }

  const head = `callback captured → stored / shown, real Chromium + host + keyring, fixture servers in their own process, ${RUNS} logins (load average ${loadavg()[1]!.toFixed(1)} over 5 min, ${availableParallelism()} CPUs)`;
  report(`${head}${beforeWorld ? ', this build' : ''}:`, after);
  if (beforeWorld) {
    report(`the build in ${BEFORE}, interleaved with the above:`, before);
    console.log('this build against the earlier one (ratio of medians):');
    console.log(line('capture → stored', after.stored, before.stored));
    console.log(line('capture → shown', after.shown, before.shown));
    console.log(line('host: complete, its own time', after.host, before.host));
  }
} finally {
  await beforeWorld?.close();
  await world.close();
}

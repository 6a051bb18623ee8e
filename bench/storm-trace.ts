/**
 * Where a refresh storm's time goes: not a goal of its own (refresh.bench.ts has the ratio), the
 * breakdown behind it. Runs storms of BENCH_STORM processes on a valid credential, then on an
 * expired one (and, with BENCH_BEFORE, an earlier build's), each process preloaded with
 * storm-trace-preload.cjs, and prints per storm:
 * - the CPU of all the processes, and when they exited;
 * - the refresher's timeline (read, token-lazy.cjs loaded, lock taken, token request, write, print);
 * - for the others: keychain reads each, how many loaded token-lazy.cjs, lock attempts, and how
 *   long after the refresher's write they read the store and exited.
 * BENCH_PROVIDER_IN_PROCESS=1 runs the provider in this process, as refresh.bench.ts once did: it
 * then answers the refresh only between this process's spawns. Exits as seen here are late for the
 * same reason (spawning blocks this process); the processes' own exit events are not.
 * BENCH_STORM_RUNNER=1 starts each storm from storm-runner.mjs, as refresh.bench.ts does (a small
 * process forks faster than this one); exits are then taken from the processes' own exit events.
 *
 * Usage: npm run build:host && npx tsx bench/storm-trace.ts
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../native-host/config';
import { LoginService } from '../native-host/oauth/login-service';
import { LoopbackListener } from '../native-host/oauth/loopback-listener';
import { BridgeStore } from '../native-host/stores/bridge-store';
import { startFixtureServersProcess } from '../test/fixtures/fixture-servers-process';
import { startGoogleLikeProvider } from '../test/fixtures/google-like-provider';
import { startKeyring } from '../test/fixtures/keyring-harness';
import { startMcpServer } from '../test/fixtures/mcp-server';
import { CLI_BIN, assertHostBuilt } from '../test/helpers/native-client';
import { followToCallback } from '../test/helpers/redirect-follower';
import { beforeLauncher } from './before-launcher';
import { median } from './stats';

const STORM = Number(process.env.BENCH_STORM ?? 50);
const RUNS = Number(process.env.BENCH_STORM_RUNS ?? 2);
const BEFORE = process.env.BENCH_BEFORE;
const IN_PROCESS = Boolean(process.env.BENCH_PROVIDER_IN_PROCESS);
const PRELOAD = fileURLToPath(new URL('./storm-trace-preload.cjs', import.meta.url));
const FROM_RUNNER = Boolean(process.env.BENCH_STORM_RUNNER);
const RUNNER = fileURLToPath(new URL('./storm-runner.mjs', import.meta.url));
const LOG = join(tmpdir(), `mlb-storm-trace-${process.pid}.jsonl`);

interface Event { e: string; t: number; s?: number; ms?: number; cpu?: number }
interface Traced { pid: number; started: number; events: Event[]; exitSeen: number }
interface StormTrace { started: number; ended: number; procs: Traced[] }

function readTrace(exits: Map<number, number>): Traced[] {
  return readFileSync(LOG, 'utf8').split('\n').filter(Boolean).map((l) => {
    const p = JSON.parse(l) as Omit<Traced, 'exitSeen'>;
    return { ...p, exitSeen: exits.get(p.pid) ?? p.events.at(-1)!.t };
  });
}

/** The fifty started by storm-runner.mjs, as refresh.bench.ts does. */
function stormFromRunner(url: string, env: NodeJS.ProcessEnv, bin: string): Promise<StormTrace> {
  rmSync(LOG, { force: true });
  const started = performance.timeOrigin + performance.now();
  return new Promise((resolve, reject) => {
    const runner = spawn(process.execPath, [RUNNER, String(STORM), bin, 'token', url], {
      env: { ...env, NODE_OPTIONS: `--require ${PRELOAD}`, STORM_TRACE: LOG },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    runner.stderr.on('data', (d) => (stderr += d));
    runner.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the storm failed: ${stderr}`));
      // The runner ran the preload too: it is the one process that never read the keychain.
      const procs = readTrace(new Map()).filter((p) => p.events.some((x) => x.e === 'getPassword'));
      resolve({ started, ended: performance.timeOrigin + performance.now(), procs });
    });
  });
}

function storm(url: string, env: NodeJS.ProcessEnv, bin: string): Promise<StormTrace> {
  if (FROM_RUNNER) return stormFromRunner(url, env, bin);
  rmSync(LOG, { force: true });
  const started = performance.timeOrigin + performance.now();
  const exits = new Map<number, number>();
  const traceEnv = { ...env, NODE_OPTIONS: `--require ${PRELOAD}`, STORM_TRACE: LOG };
  return Promise.all(
    Array.from({ length: STORM }, () => new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'token', url], { env: traceEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => {
        exits.set(child.pid!, performance.timeOrigin + performance.now());
        if (code === 0) resolve();
        else reject(new Error(`token failed: ${stderr}`));
      });
    })),
  ).then(() => ({ started, ended: performance.timeOrigin + performance.now(), procs: readTrace(exits) }));
}

const ms = (n: number) => `${Math.round(n)}`.padStart(6);
const count = (p: Traced, e: string) => p.events.filter((x) => x.e === e).length;
const first = (p: Traced, e: string) => p.events.find((x) => x.e === e);
const last = (p: Traced, e: string) => p.events.findLast((x) => x.e === e);
const med = (xs: number[]) => (xs.length ? median(xs) : NaN);
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);

function summary(kind: string, { started, ended, procs }: StormTrace): string {
  const at = (t: number) => t - started;
  const out = [`${kind}: ${ms(ended - started)} ms from the first spawn to the last exit`];
  out.push(`  CPU of the ${procs.length} processes: sum ${ms(procs.reduce((a, p) => a + last(p, 'exit')!.cpu!, 0))} ms, median ${ms(med(procs.map((p) => last(p, 'exit')!.cpu!)))}`);
  out.push(`  started (preload ran): median ${ms(med(procs.map((p) => at(first(p, 'preload')!.t))))}, last ${ms(max(procs.map((p) => at(first(p, 'preload')!.t))))}`);
  out.push(`  exited: median ${ms(med(procs.map((p) => at(p.exitSeen))))}, last ${ms(max(procs.map((p) => at(p.exitSeen))))}`);
  const reads = procs.flatMap((p) => p.events.filter((x) => x.e === 'getPassword').map((x) => x.ms!));
  out.push(`  keychain reads: ${reads.length}, each median ${ms(med(reads))} ms, max ${ms(max(reads))}`);
  const refresher = procs.find((p) => count(p, 'setPassword') > 0);
  if (!refresher) return out.join('\n');
  const write = first(refresher, 'setPassword')!;
  // token.cjs requires token-lazy.cjs once per dynamic import: the first is the load.
  const timeline = refresher.events
    .filter((x, i, all) => ['getPassword', 'lazyLoaded', 'lockTaken', 'httpStart', 'httpResponse', 'setPassword', 'printed', 'exit'].includes(x.e) && (x.e !== 'lazyLoaded' || all.findIndex((y) => y.e === x.e) === i))
    .map((x) => `${x.e} ${Math.round(at(x.s ?? x.t))}`);
  out.push(`  refresher: started ${Math.round(at(refresher.started))}, ${timeline.join(', ')}; exit seen here ${Math.round(at(refresher.exitSeen))}`);
  const others = procs.filter((p) => p !== refresher);
  const waited = others.filter((p) => first(p, 'getPassword')!.s! < write.s!);
  out.push(`  others: ${others.length}, of which ${waited.length} read the expired credential first (the rest started after the write)`);
  out.push(`    keychain reads each: median ${med(waited.map((p) => count(p, 'getPassword')))}, max ${max(waited.map((p) => count(p, 'getPassword')))}; loaded token-lazy.cjs: ${waited.filter((p) => first(p, 'lazyLoaded')).length}; lock attempts: ${waited.reduce((a, p) => a + count(p, 'lockBusy') + count(p, 'lockTaken'), 0)}`);
  out.push(`    last read began after the write ended: median ${ms(med(waited.map((p) => last(p, 'getPassword')!.s! - write.t)))}, max ${ms(max(waited.map((p) => last(p, 'getPassword')!.s! - write.t)))}`);
  const exitAfterWrite = waited.map((p) => last(p, 'exit')!.t - write.t);
  out.push(`    exited (their own exit event) after the write ended: median ${ms(med(exitAfterWrite))}, max ${ms(max(exitAfterWrite))}`);
  return out.join('\n');
}

assertHostBuilt();
const keyring = await startKeyring();
const restore = keyring.applyToProcess();
const fixtures = IN_PROCESS ? undefined : await startFixtureServersProcess();
const local = IN_PROCESS ? await startGoogleLikeProvider() : undefined;
const localMcp = local && (await startMcpServer({ issuer: local.issuer }));
const provider = fixtures?.provider ?? local!;
const mcpUrl = fixtures?.mcp.url ?? localMcp!.url;
const refreshRequests = async () => (fixtures ? (await fixtures.provider.counts()).refreshRequests : local!.stats.refreshRequests);
const listener = new LoopbackListener();
try {
  const config = parseConfig({
    clients: [{ issuer: provider.issuer, servers: [mcpUrl], clientId: provider.clientId, clientSecret: provider.clientSecret }],
    rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
  }, 'bench');
  const store = new BridgeStore();
  const login = new LoginService({ loadConfig: async () => config, store, redirectUri: () => listener.redirectUri() });
  const begun = await login.begin(mcpUrl);
  const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
  await login.complete(callback.href);
  const expire = async () => {
    const c = (await store.read(mcpUrl))!;
    await store.write({ ...c, expiresAt: Date.now() - 1000 });
  };
  const env = { ...process.env, ...keyring.env, MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: '120000' };
  const expiredStorm = async (kind: string, bin: string) => {
    await expire();
    const before = await refreshRequests();
    const trace = await storm(mcpUrl, env, bin);
    const refreshed = (await refreshRequests()) - before;
    if (refreshed !== 1) throw new Error(`a storm refreshed ${refreshed} times`);
    console.log(summary(kind, trace));
  };
  for (let i = 0; i < RUNS; i++) {
    console.log(summary('valid', await storm(mcpUrl, env, CLI_BIN)));
    await expiredStorm('expired', CLI_BIN);
    if (BEFORE) await expiredStorm(`expired, before (${BEFORE})`, beforeLauncher(BEFORE));
  }
} finally {
  rmSync(LOG, { force: true });
  await listener.close();
  await fixtures?.close();
  await localMcp?.close();
  await local?.close();
  restore();
  await keyring.stop();
}

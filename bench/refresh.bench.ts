/**
 * A refreshing `token`, against the Google-like provider, interleaved with its baselines:
 * - print → exit: from the token on stdout to the process gone (goal ≤ 20 ms), next to the same
 *   for `node -e` printing one line;
 * - CPU (user + system, from /usr/bin/time) against `node -e` printing a line (goal ≤ 2.5×);
 * - a storm: 50 processes at once on an expired credential (one refreshes, the rest wait for its
 *   result) against 50 at once on a valid one (goal ≤ 1.3×), wall clock and the CPU of all fifty.
 * The provider and the MCP server run in a process of their own (fixture-servers-process.ts), as a
 * real provider does: in this process they could not answer the refresh while it forks the storm's
 * processes (fifty synchronous spawns of a large process, seconds under load). The storm itself is
 * started by a small process of its own (storm-runner.mjs) for the same reason.
 *
 * BENCH_BEFORE=<dir of an earlier checkout, built> adds that version's refreshing `token` to the
 * same interleaved loop (and its storm), for before/after figures taken under the same load.
 */
import { spawn } from 'node:child_process';
import { parseConfig } from '../native-host/config';
import { LoginService } from '../native-host/oauth/login-service';
import { LoopbackListener } from '../native-host/oauth/loopback-listener';
import { BridgeStore } from '../native-host/stores/bridge-store';
import { fileURLToPath } from 'node:url';
import { startFixtureServersProcess } from '../test/fixtures/fixture-servers-process';
import { startKeyring } from '../test/fixtures/keyring-harness';
import { CLI_BIN, assertHostBuilt } from '../test/helpers/native-client';
import { followToCallback } from '../test/helpers/redirect-follower';
import { beforeLauncher } from './before-launcher';
import { line } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const STORM_RUNS = Number(process.env.BENCH_STORM_RUNS ?? 3);
const STORM = Number(process.env.BENCH_STORM ?? 50);

interface Run {
  printToExitMs: number;
  cpuMs: number;
  wallMs: number;
}

/** Runs node with `args` under /usr/bin/time; the first stdout chunk counts as "printed". */
function measured(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let printed: number | undefined;
    let stderr = '';
    child.stdout.on('data', () => (printed ??= performance.now()));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      const exited = performance.now();
      const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      if (code !== 0 || !cpu || printed === undefined) return reject(new Error(`${args.join(' ')} failed (${code}): ${stderr}`));
      resolve({ printToExitMs: exited - printed, cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000, wallMs: exited - started });
    });
  });
}

const BEFORE = process.env.BENCH_BEFORE;
const BEFORE_BIN = BEFORE && beforeLauncher(BEFORE);

const RUNNER = fileURLToPath(new URL('./storm-runner.mjs', import.meta.url));

interface Storm {
  wallMs: number;
  /** User + system time of the runner and every `token` process it started. */
  cpuMs: number;
}

function storm(url: string, env: NodeJS.ProcessEnv, bin = CLI_BIN): Promise<Storm> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, RUNNER, String(STORM), bin, 'token', url], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
      if (code !== 0 || !cpu) return reject(new Error(`the storm failed (${code}): ${stderr}`));
      resolve({ wallMs: (JSON.parse(stdout) as { wallMs: number }).wallMs, cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 });
    });
  });
}

assertHostBuilt();
const keyring = await startKeyring();
const restore = keyring.applyToProcess();
const fixtures = await startFixtureServersProcess();
const { provider, mcp } = fixtures;
const refreshRequests = async () => (await provider.counts()).refreshRequests;
const listener = new LoopbackListener();
try {
  const config = parseConfig(
    {
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
    },
    'bench',
  );
  const store = new BridgeStore();
  const login = new LoginService({ loadConfig: async () => config, store, redirectUri: () => listener.redirectUri() });
  const begun = await login.begin(mcp.url);
  const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
  await login.complete(callback.href);
  const expire = async () => {
    const c = (await store.read(mcp.url))!;
    await store.write({ ...c, expiresAt: Date.now() - 1000 });
  };
  // A generous request bound: fifty processes on a loaded machine must not time out on the provider here.
  const env = { ...process.env, ...keyring.env, MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: '120000' };

  const refresh: Run[] = [];
  const older: Run[] = [];
  const printing: Run[] = [];
  const refreshesBefore = await refreshRequests();
  for (let i = 0; i <= RUNS; i++) {
    await expire();
    const r = await measured([CLI_BIN, 'token', mcp.url], env);
    // node -e printing one line: the baseline of both print → exit and CPU (node -e '' but for the line).
    const p = await measured(['-e', 'process.stdout.write("x\\n")'], env);
    if (BEFORE_BIN) {
      await expire();
      const o = await measured([BEFORE_BIN, 'token', mcp.url], env);
      if (i > 0) older.push(o);
    }
    if (i === 0) continue; // warm-up
    refresh.push(r);
    printing.push(p);
  }
  if ((await refreshRequests()) - refreshesBefore !== (RUNS + 1) * (BEFORE_BIN ? 2 : 1)) throw new Error('not every run refreshed');

  console.log('refreshing token (one refresh per run), interleaved with its baselines:');
  console.log(line('print → exit, node -e printing a line', printing.map((r) => r.printToExitMs)));
  console.log(line('print → exit, refreshing token (goal ≤ 20)', refresh.map((r) => r.printToExitMs), printing.map((r) => r.printToExitMs)));
  console.log(line(`CPU, node -e printing a line (baseline)`, printing.map((r) => r.cpuMs)));
  console.log(line('CPU, refreshing token', refresh.map((r) => r.cpuMs), printing.map((r) => r.cpuMs), 2.5));
  console.log(line('wall, refreshing token', refresh.map((r) => r.wallMs)));
  if (older.length) {
    console.log(`before (${BEFORE}):`);
    console.log(line('print → exit, refreshing token', older.map((r) => r.printToExitMs), printing.map((r) => r.printToExitMs)));
    console.log(line('CPU, refreshing token', older.map((r) => r.cpuMs), printing.map((r) => r.cpuMs)));
    console.log(line('wall, refreshing token', older.map((r) => r.wallMs)));
  }

  const storms = { expired: [] as Storm[], valid: [] as Storm[], before: [] as Storm[] };
  for (let i = 0; i < STORM_RUNS; i++) {
    storms.valid.push(await storm(mcp.url, env));
    await expire();
    const before = await refreshRequests();
    storms.expired.push(await storm(mcp.url, env));
    const refreshed = (await refreshRequests()) - before;
    if (refreshed !== 1) throw new Error(`a storm refreshed ${refreshed} times`);
    if (BEFORE_BIN) {
      await expire();
      storms.before.push(await storm(mcp.url, env, BEFORE_BIN));
    }
  }

  console.log(`${STORM} processes at once:`);
  const wall = (xs: Storm[]) => xs.map((x) => x.wallMs);
  const cpu = (xs: Storm[]) => xs.map((x) => x.cpuMs);
  console.log(line(`${STORM} × token, valid credential (baseline)`, wall(storms.valid)));
  console.log(line(`${STORM} × token, expired: one refresh`, wall(storms.expired), wall(storms.valid), 1.3));
  if (storms.before.length) console.log(line(`before: ${STORM} × token, expired`, wall(storms.before), wall(storms.valid)));
  console.log(line(`CPU, ${STORM} × token, valid (baseline)`, cpu(storms.valid)));
  console.log(line(`CPU, ${STORM} × token, expired`, cpu(storms.expired), cpu(storms.valid)));
  if (storms.before.length) console.log(line(`CPU, before: ${STORM} × token, expired`, cpu(storms.before), cpu(storms.valid)));
} finally {
  await listener.close();
  await fixtures.close();
  restore();
  await keyring.stop();
}

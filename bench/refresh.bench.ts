/**
 * A refreshing `token`, against the Google-like provider, interleaved with its baselines:
 * - print → exit: from the token on stdout to the process gone (goal ≤ 20 ms), next to the same
 *   for `node -e` printing one line;
 * - CPU (user + system, from /usr/bin/time) against `node -e` printing a line (goal ≤ 2.5×);
 * - a storm: 50 processes at once on an expired credential (one refreshes, the rest wait for its
 *   result) against 50 at once on a valid one (goal ≤ 1.3×).
 * The provider runs in this process: children are spawned asynchronously so it keeps answering.
 *
 * BENCH_BEFORE=<dir of an earlier checkout, built> adds that version's refreshing `token` to the
 * same interleaved loop (and its storm), for before/after figures taken under the same load.
 */
import { spawn } from 'node:child_process';
import { parseConfig } from '../native-host/config';
import { LoginService } from '../native-host/oauth/login-service';
import { LoopbackListener } from '../native-host/oauth/loopback-listener';
import { BridgeStore } from '../native-host/stores/bridge-store';
import { startGoogleLikeProvider } from '../test/fixtures/google-like-provider';
import { startKeyring } from '../test/fixtures/keyring-harness';
import { startMcpServer } from '../test/fixtures/mcp-server';
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

function storm(url: string, env: NodeJS.ProcessEnv, bin = CLI_BIN): Promise<number> {
  const started = performance.now();
  return Promise.all(
    Array.from({ length: STORM }, () => new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'token', url], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`token failed: ${stderr}`))));
    })),
  ).then(() => performance.now() - started);
}

assertHostBuilt();
const keyring = await startKeyring();
const restore = keyring.applyToProcess();
const provider = await startGoogleLikeProvider();
const mcp = await startMcpServer({ issuer: provider.issuer });
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
  const refreshesBefore = provider.stats.refreshRequests;
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
  if (provider.stats.refreshRequests - refreshesBefore !== (RUNS + 1) * (BEFORE_BIN ? 2 : 1)) throw new Error('not every run refreshed');

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

  const storms = { expired: [] as number[], valid: [] as number[], before: [] as number[] };
  for (let i = 0; i < STORM_RUNS; i++) {
    storms.valid.push(await storm(mcp.url, env));
    await expire();
    const before = provider.stats.refreshRequests;
    storms.expired.push(await storm(mcp.url, env));
    if (provider.stats.refreshRequests - before !== 1) throw new Error(`a storm refreshed ${provider.stats.refreshRequests - before} times`);
    if (BEFORE_BIN) {
      await expire();
      storms.before.push(await storm(mcp.url, env, BEFORE_BIN));
    }
  }

  console.log(`${STORM} processes at once:`);
  console.log(line(`${STORM} × token, valid credential (baseline)`, storms.valid));
  console.log(line(`${STORM} × token, expired: one refresh`, storms.expired, storms.valid, 1.3));
  if (storms.before.length) console.log(line(`before: ${STORM} × token, expired`, storms.before, storms.valid));
} finally {
  await listener.close();
  await mcp.close();
  await provider.close();
  restore();
  await keyring.stop();
}

/**
 * `mcp-login-bridge token <url>` with a valid credential (no refresh), plain and `--headers`: the
 * whole process, from spawn to exit, against `node -e ''` measured in the same run, interleaved, as
 * a ratio of medians. This is what every MCP request pays when a client uses the CLI as its token
 * helper. The floor, a one-file script that only requires @napi-rs/keyring and reads the entry, is
 * shown beside it.
 *
 * BENCH_BEFORE=<dir of an earlier checkout, built> adds that version's `token` to the same
 * interleaved loop, for before/after figures taken under the same load.
 *
 * CPU time (user + system, every thread) is steadier than wall time on a loaded machine: with
 * `perf` on the PATH, each round also runs every command once under `perf stat` (its task-clock),
 * apart from the timed runs so perf's own start-up stays out of the wall times.
 *
 * BENCH_INSTRUCTIONS=<rounds> adds instructions executed (valgrind's cachegrind, no cache model),
 * which the machine's load does not change at all; about 10 s a run, and V8's background threads
 * still vary a run by about 1 %, so a few rounds and their median.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { BridgeStore } from '../native-host/stores/bridge-store';
import { startKeyring } from '../test/fixtures/keyring-harness';
import { CLI_BIN, HOST_BUNDLE, assertHostBuilt } from '../test/helpers/native-client';
import { beforeLauncher } from './before-launcher';
import { line } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const SERVER = 'https://bench.example/mcp';

assertHostBuilt();
const floor = join(tmpdir(), `mlb-token-floor-${process.pid}.cjs`);
writeFileSync(
  floor,
  `const { Entry } = require(${JSON.stringify(createRequire(import.meta.url).resolve('@napi-rs/keyring'))});
process.stdout.write(JSON.parse(new Entry('mcp-login-bridge', ${JSON.stringify(SERVER)}, { linux: { store: 'secret-service' } }).getPassword()).accessToken + '\\n');`,
);
// The same floor with the platform's binary required directly, as token.cjs does where it can
// (stores/keyring-binding.cjs): the package's loader costs a few ms of its own, so beating the
// first floor by that much is the loader, not less work.
const keyringBinary = createRequire(createRequire(import.meta.url).resolve('@napi-rs/keyring')).resolve(
  `@napi-rs/keyring-${process.platform}-${process.arch}${process.platform === 'linux' ? '-gnu' : process.platform === 'win32' ? '-msvc' : ''}`,
);
const floorDirect = join(tmpdir(), `mlb-token-floor-direct-${process.pid}.cjs`);
writeFileSync(
  floorDirect,
  `const { Entry } = require(${JSON.stringify(keyringBinary)});
process.stdout.write(JSON.parse(new Entry('mcp-login-bridge', ${JSON.stringify(SERVER)}, { linux: { store: 'secret-service' } }).getPassword()).accessToken + '\\n');`,
);
const keyring = await startKeyring();
const restore = keyring.applyToProcess();
try {
  await new BridgeStore().write({
    serverUrl: SERVER,
    resource: SERVER,
    issuer: 'https://issuer.example',
    clientId: 'bench',
    tokenEndpointAuthMethod: 'none',
    accessToken: 'a'.repeat(800),
    tokenType: 'bearer',
    refreshToken: 'r'.repeat(40),
    expiresAt: Date.now() + 3600_000,
    scope: 'openid',
    updatedAt: Date.now(),
  });
  const env = { ...process.env, ...keyring.env };
  const time = (args: string[]) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    return performance.now() - t;
  };
  const withPerf = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', process.execPath, '-e', ''], { stdio: 'pipe' }).status === 0;
  /** CPU milliseconds of one run: perf stat's task-clock (CSV on stderr, after the command's own). */
  const cpuTime = (args: string[]) => {
    const r = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', process.execPath, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = /^([\d.]+),msec,task-clock/m.exec(String(r.stderr))?.[1];
    if (r.status !== 0 || ms === undefined) throw new Error(`perf stat ${args.join(' ')} failed: ${r.stderr}`);
    return Number(ms);
  };
  const series: Record<string, number[]> = { baseline: [], floor: [], floorDirect: [], token: [], headers: [], bundle: [] };
  const commands: Record<string, string[]> = {
    baseline: ['-e', ''],
    floor: [floor],
    floorDirect: [floorDirect],
    token: [CLI_BIN, 'token', SERVER],
    headers: [CLI_BIN, 'token', SERVER, '--headers'],
    bundle: [HOST_BUNDLE, 'token', SERVER],
  };
  const before = process.env.BENCH_BEFORE;
  if (before) {
    series.before = [];
    commands.before = [beforeLauncher(before), 'token', SERVER];
  }
  const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  const loadAtStart = loadavg()[0]!;
  for (const args of Object.values(commands)) time(args);
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(commands)) {
      series[name]!.push(time(args));
      if (withPerf) cpu[name]!.push(cpuTime(args));
    }
  }
  const labels: Record<string, string> = {
    floor: 'floor: require keyring, read one entry',
    floorDirect: 'floor, keyring binary required directly',
    token: 'mcp-login-bridge token',
    headers: 'mcp-login-bridge token --headers',
    bundle: 'dist bundle entry, token',
    before: `before (${before}): token`,
  };
  const goals: Record<string, number> = { token: 1.2, headers: 1.2 };
  // The goal is the wall time's; CPU and instructions are shown beside it to tell load from cost.
  const print = (values: Record<string, number[]>, unit: string) => {
    console.log(line(`node -e '' (baseline)`, values.baseline!, undefined, undefined, unit));
    for (const name of Object.keys(commands).filter((n) => n !== 'baseline')) console.log(line(labels[name]!, values[name]!, values.baseline, unit === 'ms' ? goals[name] : undefined, unit));
  };
  console.log(`token (valid credential, no refresh), spawn → exit, interleaved (load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end):`);
  print(series, 'ms');
  if (withPerf) {
    console.log('CPU time (user + system, perf stat task-clock), same rounds:');
    print(cpu, 'ms CPU');
  } else {
    console.log('CPU time: not measured (no perf on the PATH).');
  }
  const instructionRounds = Number(process.env.BENCH_INSTRUCTIONS ?? 0);
  if (instructionRounds > 0) {
    /** Millions of instructions of one run, from cachegrind's summary on stderr. */
    const instructions = (args: string[]) => {
      const r = spawnSync('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      const refs = /I\s+refs:\s+([\d,]+)/.exec(String(r.stderr))?.[1];
      if (r.status !== 0 || refs === undefined) throw new Error(`valgrind ${args.join(' ')} failed: ${r.stderr}`);
      return Number(refs.replaceAll(',', '')) / 1e6;
    };
    const counts: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
    for (let i = 0; i < instructionRounds; i++) for (const [name, args] of Object.entries(commands)) counts[name]!.push(instructions(args));
    console.log('Instructions executed (valgrind cachegrind), millions:');
    print(counts, 'M instr');
  }
} finally {
  restore();
  await keyring.stop();
}

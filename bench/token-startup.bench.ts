/**
 * `mcp-login-bridge token <url>` with a valid credential (no refresh), plain and `--headers`: the
 * whole process, from spawn to exit, against `node -e ''` measured in the same run, interleaved, as
 * a ratio of medians. This is what every MCP request pays when a client uses the CLI as its token
 * helper. The floor, a one-file script that only requires @napi-rs/keyring and reads the entry, is
 * shown beside it.
 *
 * BENCH_BEFORE=<dir of an earlier checkout, built> adds that version's `token` to the same
 * interleaved loop, for before/after figures taken under the same load.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  const series: Record<string, number[]> = { baseline: [], floor: [], token: [], headers: [], bundle: [] };
  const commands: Record<string, string[]> = {
    baseline: ['-e', ''],
    floor: [floor],
    token: [CLI_BIN, 'token', SERVER],
    headers: [CLI_BIN, 'token', SERVER, '--headers'],
    bundle: [HOST_BUNDLE, 'token', SERVER],
  };
  const before = process.env.BENCH_BEFORE;
  if (before) {
    series.before = [];
    commands.before = [beforeLauncher(before), 'token', SERVER];
  }
  for (const args of Object.values(commands)) time(args);
  for (let i = 0; i < RUNS; i++) for (const [name, args] of Object.entries(commands)) series[name]!.push(time(args));
  console.log(`token (valid credential, no refresh), spawn → exit, interleaved:`);
  console.log(line(`node -e '' (baseline)`, series.baseline!));
  console.log(line('floor: require keyring, read one entry', series.floor!, series.baseline));
  console.log(line('mcp-login-bridge token', series.token!, series.baseline, 1.2));
  console.log(line('mcp-login-bridge token --headers', series.headers!, series.baseline, 1.2));
  console.log(line('dist bundle entry, token', series.bundle!, series.baseline));
  if (series.before) console.log(line(`before (${before}): token`, series.before, series.baseline));
} finally {
  restore();
  await keyring.stop();
}

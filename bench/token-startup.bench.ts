/**
 * `mcp-login-bridge token <url>` with a valid credential (no refresh): the whole process, from
 * spawn to exit, against `node -e ''` measured in the same run, alternating, as a ratio of medians.
 * This is what every MCP request pays when a client uses the CLI as its token helper.
 */
import { spawnSync } from 'node:child_process';
import { BridgeStore } from '../native-host/stores/bridge-store';
import { startKeyring } from '../test/fixtures/keyring-harness';
import { CLI_BIN, HOST_BUNDLE, assertHostBuilt } from '../test/helpers/native-client';
import { fmt, median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SERVER = 'https://bench.example/mcp';

assertHostBuilt();
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
  const baseline: number[] = [];
  const viaBin: number[] = [];
  const viaBundle: number[] = [];
  time(['-e', '']);
  time([CLI_BIN, 'token', SERVER]);
  for (let i = 0; i < RUNS; i++) {
    baseline.push(time(['-e', '']));
    viaBin.push(time([CLI_BIN, 'token', SERVER]));
    viaBundle.push(time([HOST_BUNDLE, 'token', SERVER]));
  }
  const b = median(baseline);
  console.log(`token (valid credential, no refresh), ${RUNS} runs each, medians:`);
  console.log(`  node -e ''                     ${fmt(b)}  (baseline)`);
  console.log(`  mcp-login-bridge token (bin)   ${fmt(median(viaBin))}  ratio ${(median(viaBin) / b).toFixed(2)}`);
  console.log(`  host bundle token (launcher)   ${fmt(median(viaBundle))}  ratio ${(median(viaBundle) / b).toFixed(2)}`);
} finally {
  restore();
  await keyring.stop();
}

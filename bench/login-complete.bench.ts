/**
 * The host's share of a login: from receiving the callback URL to the credential stored in the
 * keychain, next to the token endpoint's own time inside it, over native messaging to the real
 * host process, against the Google-like provider. Reported as medians and the ratio
 * host total / token endpoint (1.0 would mean the host adds nothing).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGoogleLikeProvider } from '../test/fixtures/google-like-provider';
import { startKeyring } from '../test/fixtures/keyring-harness';
import { startMcpServer } from '../test/fixtures/mcp-server';
import { spawnNativeHost } from '../test/helpers/native-client';
import { followToCallback } from '../test/helpers/redirect-follower';
import { fmt, median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);

const keyring = await startKeyring();
const provider = await startGoogleLikeProvider();
const mcp = await startMcpServer({ issuer: provider.issuer });
const dir = await mkdtemp(join(tmpdir(), 'mlb-bench-'));
const configPath = join(dir, 'config.json');
await writeFile(
  configPath,
  JSON.stringify({
    clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
    rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
  }),
);
const host = spawnNativeHost({ env: { ...process.env, ...keyring.env, MCP_LOGIN_BRIDGE_CONFIG: configPath } });
try {
  const total: number[] = [];
  const token: number[] = [];
  const store: number[] = [];
  const roundTrip: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const begun = await host.request({ id: `b${i}`, type: 'begin', serverUrl: mcp.url });
    if (!begun.ok) throw new Error(begun.error.message);
    const { callback } = await followToCallback(begun.data.authorizeUrl, begun.data.redirectUri);
    const t = performance.now();
    const done = await host.request({ id: `c${i}`, type: 'complete', callbackUrl: callback.href });
    const rt = performance.now() - t;
    if (!done.ok) throw new Error(done.error.message);
    if (i === 0) continue; // warm-up
    roundTrip.push(rt);
    total.push(done.data.timings.totalMs);
    token.push(done.data.timings.tokenEndpointMs);
    store.push(done.data.timings.storeMs);
  }
  console.log(`complete (callback → stored credential), ${RUNS} logins, medians:`);
  console.log(`  token endpoint (baseline)        ${fmt(median(token))}`);
  console.log(`  keychain write                   ${fmt(median(store))}`);
  console.log(`  host total                       ${fmt(median(total))}  ratio ${(median(total) / median(token)).toFixed(2)}`);
  console.log(`  native messaging round trip      ${fmt(median(roundTrip))}  ratio ${(median(roundTrip) / median(token)).toFixed(2)}`);
} finally {
  await host.close();
  await mcp.close();
  await provider.close();
  await keyring.stop();
}

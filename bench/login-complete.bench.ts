/**
 * The host's share of a login: from receiving the callback URL to the credential stored in the
 * keychain, next to the token endpoint's own time inside it, over native messaging to the real
 * host process, against the Google-like provider (in a process of its own, as a real one is).
 * Reported as medians with min/max and the number of logins, and the ratio host total / token
 * endpoint (1.0 would mean the host adds nothing), the endpoint timed both by the host and by the
 * provider itself.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureServersProcess } from '../test/fixtures/fixture-servers-process';
import { startKeyring } from '../test/fixtures/keyring-harness';
import { spawnNativeHost } from '../test/helpers/native-client';
import { followToCallback } from '../test/helpers/redirect-follower';
import { line } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);

const keyring = await startKeyring();
const servers = await startFixtureServersProcess();
const { provider, mcp } = servers;
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
  const providerOwn: number[] = [];
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
    providerOwn.push((await provider.counts()).lastTokenRequestMs!);
  }
  console.log(`complete (callback → stored credential), ${RUNS} logins:`);
  console.log(line('token endpoint, as the host timed it', token));
  console.log(line("token endpoint, the provider's own time", providerOwn));
  console.log(line('keychain write', store));
  console.log(line('host total', total, token));
  console.log(line("host total vs the provider's own time", total, providerOwn));
  console.log(line('native messaging round trip', roundTrip, token));
} finally {
  await host.close();
  await servers.close();
  await keyring.stop();
}

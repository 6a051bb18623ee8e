/**
 * The host's share of a login: from receiving the callback URL to the credential stored in the
 * keychain, next to the token endpoint's own time inside it, over native messaging to the real
 * host process, against the Google-like provider (in a process of its own, as a real one is).
 * Reported as medians with min/max and the number of logins, and the ratio host total / token
 * endpoint (1.0 would mean the host adds nothing), the endpoint timed both by the host and by the
 * provider itself. BENCH_BEFORE=<dir of an earlier checkout, built> runs its host beside this one's,
 * interleaved.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureServersProcess } from '../test/fixtures/fixture-servers-process';
import { startKeyring } from '../test/fixtures/keyring-harness';
import { spawnNativeHost } from '../test/helpers/native-client';
import { followToCallback } from '../test/helpers/redirect-follower';
import { beforeLauncher } from './before-launcher';
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
/** CPU time (ms) a process's threads have run so far, from Linux's schedstat (ns, not clock ticks); NaN elsewhere. */
function cpuMsOf(pid: number | undefined): number {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return Number.NaN;
  }
}

const env = { ...process.env, ...keyring.env, MCP_LOGIN_BRIDGE_CONFIG: configPath };
const BEFORE = process.env.BENCH_BEFORE;
const hosts = [
  { label: 'this build', host: spawnNativeHost({ env }) },
  // An earlier checkout's host (BENCH_BEFORE), interleaved with this one's, so both see the same load.
  ...(BEFORE ? [{ label: `the build in ${BEFORE}`, host: spawnNativeHost({ env, bundle: beforeLauncher(BEFORE) }) }] : []),
];
try {
  const series = hosts.map(() => ({ total: [] as number[], token: [] as number[], store: [] as number[], roundTrip: [] as number[], providerOwn: [] as number[], cpu: [] as number[], processCpu: [] as number[], beginCpu: [] as number[] }));
  for (let i = 0; i <= RUNS; i++) {
    for (const [h, { host }] of hosts.entries()) {
      const beginCpuBefore = cpuMsOf(host.child.pid);
      const begun = await host.request({ id: `b${i}`, type: 'begin', serverUrl: mcp.url });
      // begin now also reads the clients' configs and opens the token endpoint's connection: its CPU counts too.
      const beginCpu = cpuMsOf(host.child.pid) - beginCpuBefore;
      if (!begun.ok) throw new Error(begun.error.message);
      const { callback } = await followToCallback(begun.data.authorizeUrl, begun.data.redirectUri);
      const t = performance.now();
      const cpuBefore = cpuMsOf(host.child.pid);
      const done = await host.request({ id: `c${i}`, type: 'complete', callbackUrl: callback.href });
      const rt = performance.now() - t;
      const cpu = cpuMsOf(host.child.pid) - cpuBefore;
      if (!done.ok) throw new Error(done.error.message);
      if (i === 0) continue; // warm-up
      const s = series[h]!;
      s.roundTrip.push(rt);
      s.processCpu.push(cpu);
      s.beginCpu.push(beginCpu);
      s.total.push(done.data.timings.totalMs);
      s.token.push(done.data.timings.tokenEndpointMs);
      s.store.push(done.data.timings.storeMs);
      if (done.data.timings.cpuMs !== undefined) s.cpu.push(done.data.timings.cpuMs);
      s.providerOwn.push((await provider.counts()).lastTokenRequestMs!);
    }
  }
  for (const [h, { label }] of hosts.entries()) {
    const { total, token, store, roundTrip, providerOwn, cpu, processCpu, beginCpu } = series[h]!;
    console.log(`complete (callback → stored credential), ${RUNS} logins, ${label} (load average ${loadavg()[1]!.toFixed(1)} over 5 min):`);
    console.log(line('token endpoint, as the host timed it', token));
    console.log(line("token endpoint, the provider's own time", providerOwn));
    console.log(line('keychain write', store));
    console.log(line('host total', total, token));
    if (cpu.length) console.log(line("host's CPU time meanwhile", cpu, total));
    console.log(line("host total vs the provider's own time", total, providerOwn));
    console.log(line('native messaging round trip', roundTrip, token));
    if (processCpu.every(Number.isFinite)) {
      console.log(line("host process's CPU time, request to answer", processCpu));
      console.log(line("host process's CPU time for begin", beginCpu));
    }
  }
  if (hosts.length > 1) {
    console.log('this build against the earlier one (ratio of medians):');
    console.log(line('native messaging round trip', series[0]!.roundTrip, series[1]!.roundTrip));
    console.log(line("host process's CPU time, request to answer", series[0]!.processCpu, series[1]!.processCpu));
    console.log(line("host process's CPU time for begin", series[0]!.beginCpu, series[1]!.beginCpu));
    console.log(line("host total vs the provider's own time", series[0]!.total.map((t, i) => t / series[0]!.providerOwn[i]!), series[1]!.total.map((t, i) => t / series[1]!.providerOwn[i]!), undefined, 'x'));
  }
} finally {
  for (const { host } of hosts) await host.close();
  await servers.close();
  await keyring.stop();
}

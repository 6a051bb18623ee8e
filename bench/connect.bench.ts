/**
 * `mcp-login-bridge connect` against the same server reached directly, in one run:
 * - a tool call with a 1 KB result through connect (SDK stdio Client → connect → Streamable HTTP)
 *   vs the same call from the SDK's own Streamable HTTP client with the same bearer token,
 *   alternating, as a ratio of medians (goal ≤ 1.1);
 * - start-up: spawning connect until the client's `initialize` is answered, vs spawning a direct
 *   SDK client process until its own `initialize` is answered (connect-direct-client.mjs), vs the
 *   direct client's connect in-process, and vs `node -e ''` spawned (the floor of any stdio server).
 * BENCH_BEFORE=<dir of an earlier checkout, built> adds that version's connect (through its CommonJS
 * launcher, as `mcp-login-bridge` runs it) to both loops, interleaved, so a change is measured
 * against the code before it in the same run.
 * The server is the fixture MCP server (sessions on) behind the Google-like provider, on loopback,
 * in a process of its own (bench/connect-server.ts): in this process it would make the direct
 * client's calls free of any process switch, which no real server is.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BridgeStore } from '../native-host/stores/bridge-store';
import type { GoogleLikeProvider } from '../test/fixtures/google-like-provider';
import { startKeyring } from '../test/fixtures/keyring-harness';
import { loginToFixture } from '../test/helpers/fixture-login';
import { CLI_BIN, assertHostBuilt } from '../test/helpers/native-client';
import { beforeLauncher } from './before-launcher';
import { fmt, median } from './stats';

const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const STARTS = Number(process.env.BENCH_RUNS ?? 15);
const RESULT_BYTES = 1024;

function summary(label: string, values: number[], baseline?: number): string {
  const m = median(values);
  const ratio = baseline === undefined ? '(baseline)' : `ratio ${(m / baseline).toFixed(2)}`;
  return `  ${label.padEnd(34)} median ${fmt(m)}  min ${fmt(Math.min(...values))}  max ${fmt(Math.max(...values))}  runs ${values.length}  ${ratio}`;
}

/**
 * CPU time a process has used so far (user + system, from /proc; 10 ms ticks): what connect costs
 * whatever else the machine runs, which wall-clock medians on a shared machine cannot show.
 */
function cpuMs(pid: number | null | undefined): number {
  if (!pid) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

assertHostBuilt();
const keyring = await startKeyring();
const restore = keyring.applyToProcess();
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const serverProcess = spawn(TSX, [fileURLToPath(new URL('./connect-server.ts', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
const [line] = await createInterface({ input: serverProcess.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
const remote = JSON.parse(line!) as { issuer: string; clientId: string; clientSecret: string; url: string };
const mcp = { url: remote.url };
// What loginToFixture uses of a provider: its issuer and pre-registered client.
const provider = { issuer: remote.issuer, clientId: remote.clientId, clientSecret: remote.clientSecret } as GoogleLikeProvider;
try {
  const credential = await loginToFixture(provider, mcp.url, { configuredClient: true });
  await new BridgeStore().write(credential);
  const env = { ...process.env, ...keyring.env } as Record<string, string>;

  const direct = async () => {
    const client = new Client({ name: 'bench-direct', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(mcp.url), { requestInit: { headers: { Authorization: `Bearer ${credential.accessToken}` } } });
    await client.connect(transport);
    return client;
  };
  const pids = new WeakMap<Client, number | null>();
  const viaConnect = (bin: string) => async () => {
    const client = new Client({ name: 'bench-connect', version: '1' });
    const transport = new StdioClientTransport({ command: process.execPath, args: [bin, 'connect', mcp.url, '--no-login'], env, stderr: 'ignore' });
    await client.connect(transport);
    pids.set(client, transport.pid);
    return client;
  };
  const before = process.env.BENCH_BEFORE && beforeLauncher(process.env.BENCH_BEFORE);

  // Tool calls, alternating, on one warm connection each.
  const a = await direct();
  const b = await viaConnect(CLI_BIN)();
  const c = before ? await viaConnect(before)() : undefined;
  const call = async (client: Client) => {
    const t = performance.now();
    const result = await client.callTool({ name: 'payload', arguments: { bytes: RESULT_BYTES } });
    const ms = performance.now() - t;
    if ((result.content as { text: string }[])[0]!.text.length !== RESULT_BYTES) throw new Error('wrong result');
    return ms;
  };
  for (let i = 0; i < 20; i++) {
    await call(a);
    await call(b);
    if (c) await call(c);
  }
  const callsDirect: number[] = [];
  const callsConnect: number[] = [];
  const callsBefore: number[] = [];
  const cpuAtStart = [cpuMs(pids.get(b)), c ? cpuMs(pids.get(c)) : NaN];
  for (let i = 0; i < CALLS; i++) {
    callsDirect.push(await call(a));
    callsConnect.push(await call(b));
    if (c) callsBefore.push(await call(c));
  }
  const cpuPerCall = [(cpuMs(pids.get(b)) - cpuAtStart[0]!) / CALLS, c ? (cpuMs(pids.get(c)) - cpuAtStart[1]!) / CALLS : NaN];
  await a.close();
  await b.close();
  await c?.close();

  // Start-up until initialize is answered (client.connect resolves then).
  const nodeStart = () =>
    new Promise<number>((resolve, reject) => {
      const t = performance.now();
      const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('close', () => resolve(performance.now() - t));
    });
  const startCpu = new Map<string, number[]>();
  const timed = async (open: () => Promise<Client>, label?: string) => {
    const t = performance.now();
    const client = await open();
    const ms = performance.now() - t;
    if (label) startCpu.set(label, [...(startCpu.get(label) ?? []), cpuMs(pids.get(client))]);
    await client.close();
    return ms;
  };
  // A process with the SDK's own HTTP client, from spawn until its initialize is answered.
  const directProcess = () =>
    new Promise<number>((resolve, reject) => {
      const t = performance.now();
      const child = spawn(process.execPath, [fileURLToPath(new URL('./connect-direct-client.mjs', import.meta.url))], {
        env: { ...env, BENCH_MCP_URL: mcp.url, BENCH_ACCESS_TOKEN: credential.accessToken },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let ready = 0;
      child.stdout.on('data', (d: Buffer) => {
        if (!ready && d.toString().includes('ready')) ready = performance.now() - t;
      });
      child.on('error', reject);
      child.on('close', (code) => (ready ? resolve(ready) : reject(new Error(`the direct client process exited with ${code} before initialize was answered`))));
    });
  await timed(viaConnect(CLI_BIN));
  await directProcess();
  const startDirect: number[] = [];
  const startDirectProcess: number[] = [];
  const startConnect: number[] = [];
  const startBefore: number[] = [];
  const startNode: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    startDirect.push(await timed(direct));
    startConnect.push(await timed(viaConnect(CLI_BIN), 'after'));
    if (before) startBefore.push(await timed(viaConnect(before), 'before'));
    startDirectProcess.push(await directProcess());
    startNode.push(await nodeStart());
  }

  console.log(`connect: tools/call with a ${RESULT_BYTES} B result, alternating on warm connections:`);
  console.log(summary('SDK Streamable HTTP client, direct', callsDirect));
  console.log(summary('SDK stdio client → connect', callsConnect, median(callsDirect)));
  if (before) console.log(summary('SDK stdio client → connect (before)', callsBefore, median(callsDirect)));
  console.log(`  CPU of the connect process per call: ${cpuPerCall[0]!.toFixed(2)} ms${before ? `; before: ${cpuPerCall[1]!.toFixed(2)} ms` : ''}`);
  console.log('connect: start-up until initialize is answered:');
  console.log(summary("spawn node -e '' (floor of any stdio server)", startNode));
  console.log(summary('spawn SDK HTTP client process + init', startDirectProcess));
  console.log(summary('SDK HTTP client, direct (in-process)', startDirect));
  console.log(summary('spawn connect + initialize', startConnect));
  if (before) console.log(summary('spawn connect + initialize (before)', startBefore));
  const ratios = (label: string, values: number[]) =>
    console.log(`  ${label}: ${(median(values) / median(startNode)).toFixed(2)}× node -e '', ${(median(values) / median(startDirectProcess)).toFixed(2)}× the direct client process`);
  ratios('connect start-up', startConnect);
  if (before) ratios('connect start-up (before)', startBefore);
  for (const [label, values] of startCpu) console.log(`  CPU of connect until initialize is answered (${label}): median ${median(values).toFixed(0)} ms, min ${Math.min(...values)}, max ${Math.max(...values)}, runs ${values.length}`);
} finally {
  serverProcess.stdin.end();
  await new Promise((r) => serverProcess.on('close', r));
  restore();
  await keyring.stop();
}

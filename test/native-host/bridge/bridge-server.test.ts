/**
 * The bridge server in this process with a fake login service whose `begin` the test finishes
 * when it wants: what the bridge does while a login is still being begun (the built host's
 * discovery is too quick to hold open from outside).
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BRIDGE_LIMITS, BRIDGE_SECRET_HEADER } from '../../../shared/bridge-protocol';
import { ErrorCode } from '../../../shared/errors';
import type { BeginResult, HostPush } from '../../../shared/protocol';
import { BRIDGE_HTTP_LIMITS, BridgeServer, type BridgeHttpLimits } from '../../../native-host/bridge/bridge-server';
import type { HostContext } from '../../../native-host/host-context';

interface FakeLogin {
  /** Each `begin` call, in order; resolve one to let that login go on. */
  begins: { serverUrl: string; resolve: (flow: BeginResult) => void; reject: (error: Error) => void }[];
  cancelled: string[];
  settledListeners: Map<string, unknown>;
}

function fakeContext(): { ctx: HostContext; login: FakeLogin } {
  const login: FakeLogin = { begins: [], cancelled: [], settledListeners: new Map() };
  const ctx = {
    version: 'test',
    login: {
      begin: (serverUrl: string) => new Promise<BeginResult>((resolve, reject) => login.begins.push({ serverUrl, resolve, reject })),
      onceSettled: (state: string, listener: unknown) => {
        login.settledListeners.set(state, listener);
        return () => login.settledListeners.delete(state);
      },
      cancel: (state: string) => login.cancelled.push(state) > 0,
    },
  } as unknown as HostContext;
  return { ctx, login };
}

function flowFor(state: string): BeginResult {
  return {
    state,
    authorizeUrl: `https://as.example/authorize?state=${state}`,
    redirectUri: 'http://127.0.0.1:1/callback',
    issuer: 'https://as.example',
    appliedRules: [],
    expiresAt: Date.now() + 600_000,
  };
}

let bridge: BridgeServer | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

async function startBridge(httpLimits?: Partial<BridgeHttpLimits>) {
  const { ctx, login } = fakeContext();
  const pushes: HostPush[] = [];
  const dir = join(await mkdtemp(join(tmpdir(), 'mlb-bs-')), 'run');
  bridge = await BridgeServer.start({ ctx, push: (m) => pushes.push(m), identity: { browser: 'chromium' }, dir, ...(httpLimits ? { httpLimits } : {}) });
  const { secret } = JSON.parse(await readFile(bridge.filePath, 'utf8'));
  const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/`, { headers: { [BRIDGE_SECRET_HEADER]: secret } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const messages: any[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  return { login, pushes, ws, messages };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('bridge server: a login whose CLI goes away while it is being begun', () => {
  it('cancels the flow once begin returns, and pushes no openLogin', async () => {
    const { login, pushes, ws } = await startBridge();
    ws.send(JSON.stringify({ id: 'l', type: 'login', serverUrl: 'https://mcp.example/mcp' }));
    await until(() => login.begins.length === 1, 'begin');
    // Ctrl-C in the CLI during discovery.
    ws.close();
    await new Promise((r) => ws.once('close', r));
    await new Promise((r) => setTimeout(r, 50));
    login.begins[0]!.resolve(flowFor('s1'));
    await until(() => login.cancelled.length > 0, 'the cancel');
    expect(login.cancelled).toEqual(['s1']);
    await new Promise((r) => setTimeout(r, 50));
    expect(pushes).toEqual([]);
    expect(login.settledListeners.size).toBe(0);
  });
});

describe('bridge server: the limit of logins per connection', () => {
  it('counts a login from the moment it is accepted: 6 sent at once begin 2, the others are refused', async () => {
    const { login, pushes, ws, messages } = await startBridge();
    const max = BRIDGE_LIMITS.maxLoginsPerConnection;
    for (let i = 0; i < 6; i++) ws.send(JSON.stringify({ id: `l${i}`, type: 'login', serverUrl: 'https://mcp.example/mcp' }));
    await until(() => messages.length >= 6 - max, 'the refusals');
    await new Promise((r) => setTimeout(r, 50));
    expect(login.begins).toHaveLength(max);
    expect(messages).toHaveLength(6 - max);
    for (const m of messages) {
      expect(m).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidField, message: expect.stringContaining(`at most ${max} logins`) } });
    }
    for (const [i, b] of login.begins.entries()) b.resolve(flowFor(`s${i}`));
    await until(() => pushes.length === max, 'the pushes');
    await new Promise((r) => setTimeout(r, 50));
    expect(pushes).toHaveLength(max);
    // Both slots are taken by open logins now; one more is still refused.
    messages.length = 0;
    ws.send(JSON.stringify({ id: 'more', type: 'login', serverUrl: 'https://mcp.example/mcp' }));
    await until(() => messages.some((m) => m.id === 'more'), 'the answer');
    expect(messages.find((m) => m.id === 'more')).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidField } });
    expect(login.begins).toHaveLength(max);
    ws.close();
  });

  it('frees the slot when begin fails', async () => {
    const { login, ws, messages } = await startBridge();
    const max = BRIDGE_LIMITS.maxLoginsPerConnection;
    for (let i = 0; i < max; i++) ws.send(JSON.stringify({ id: `l${i}`, type: 'login', serverUrl: 'https://mcp.example/mcp' }));
    await until(() => login.begins.length === max, 'the begins');
    // A begin that fails (discovery error) gives its slot back.
    login.begins[0]!.reject(new Error('discovery failed'));
    await until(() => messages.some((m) => m.id === 'l0'), 'the failure');
    ws.send(JSON.stringify({ id: 'again', type: 'login', serverUrl: 'https://mcp.example/mcp' }));
    await until(() => login.begins.length === max + 1, 'a new begin');
    ws.close();
  });
});

/** A raw TCP connection to the bridge's port; `closed` resolves when the server ends it. */
async function rawSocket(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = tcpConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume();
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, closed };
}

function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);
}

describe('bridge server: connections that never authenticate', () => {
  it('uses a few seconds for headers and requests, not Node\'s minutes', () => {
    expect(BRIDGE_HTTP_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(BRIDGE_HTTP_LIMITS.requestTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(BRIDGE_HTTP_LIMITS.maxSockets).toBeGreaterThan(BRIDGE_LIMITS.maxConnections);
  });

  it('closes a connection whose request never ends, and one that sends nothing, after the headers timeout', async () => {
    await startBridge({ headersTimeoutMs: 300, requestTimeoutMs: 300 });
    const partial = await rawSocket(bridge!.port);
    partial.socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${bridge!.port}\r\nx-slow: `);
    const silent = await rawSocket(bridge!.port);
    expect(await within(partial.closed, 3000)).not.toBe('timeout');
    expect(await within(silent.closed, 3000)).not.toBe('timeout');
  });

  it('keeps an authenticated WebSocket open past those timeouts', async () => {
    const { ws, messages } = await startBridge({ headersTimeoutMs: 300, requestTimeoutMs: 300 });
    await new Promise((r) => setTimeout(r, 800));
    ws.send(JSON.stringify({ id: 'h', type: 'hello' }));
    await until(() => messages.length === 1, 'hello');
    expect(messages[0]).toMatchObject({ id: 'h', ok: true });
    ws.close();
  });

  it('closes a plain HTTP connection after its 404 (no keep-alive)', async () => {
    await startBridge();
    const raw = await rawSocket(bridge!.port);
    raw.socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${bridge!.port}\r\nConnection: keep-alive\r\n\r\n`);
    expect(await within(raw.closed, 3000)).not.toBe('timeout');
  });

  it('drops TCP connections beyond its limit at once', async () => {
    await startBridge({ maxSockets: 3 });
    const open = [await rawSocket(bridge!.port), await rawSocket(bridge!.port), await rawSocket(bridge!.port)];
    const extra = await rawSocket(bridge!.port);
    expect(await within(extra.closed, 2000)).not.toBe('timeout');
    for (const o of open) o.socket.destroy();
  });
});

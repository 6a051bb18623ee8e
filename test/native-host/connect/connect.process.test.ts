/**
 * `mcp-login-bridge connect` as an MCP client runs it: the SDK's stdio Client spawns the built
 * binary, which forwards to the fixture MCP server behind the Google-like provider, with the login
 * in a real (private) Secret Service keyring. Logins the process starts itself are completed by
 * the test playing the browser (the redirect follower), from the address it prints on stderr.
 */
import { spawn } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../native-host/config';
import { LoginService } from '../../../native-host/oauth/login-service';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { startForwardProxy, type ForwardProxy } from '../../fixtures/forward-proxy';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture, type McpServerOptions } from '../../fixtures/mcp-server';
import { CLI_BIN, assertHostBuilt } from '../../helpers/native-client';
import { CookieJar, followToCallback } from '../../helpers/redirect-follower';

const MARGIN_MS = 60_000;

let keyring: KeyringHarness;
let restoreEnv: () => void;
const listener = new LoopbackListener();
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
});
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  await listener.close();
  restoreEnv?.();
  await keyring?.stop();
});

interface World {
  provider: GoogleLikeProvider;
  mcp: McpServerFixture;
  store: BridgeStore;
  env: NodeJS.ProcessEnv;
  login(): Promise<void>;
}

/** A provider, its MCP server, a config naming the provider's client, and (unless `loggedIn: false`) a stored login. */
async function world(options: { rotate?: boolean; ttl?: number; loggedIn?: boolean; mcp?: Partial<McpServerOptions> } = {}): Promise<World> {
  const provider = await startGoogleLikeProvider({ rotateRefreshTokens: options.rotate ?? false, accessTokenTtlSeconds: options.ttl ?? 90 });
  cleanup.push(() => provider.close());
  const mcp = await startMcpServer({ issuer: provider.issuer, sessions: true, ...options.mcp });
  cleanup.push(() => mcp.close());
  const raw = {
    clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
    rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
  };
  const dir = await mkdtemp(join(tmpdir(), 'mlb-connect-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(raw));
  const config = parseConfig(raw, 'test');
  const store = new BridgeStore();
  const login = async () => {
    const service = new LoginService({ loadConfig: async () => config, store, redirectUri: () => listener.redirectUri() });
    const begun = await service.begin(mcp.url);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    expect((await service.complete(callback.href)).refreshCapable).toBe(true);
  };
  if (options.loggedIn !== false) await login();
  // No xdg-open on PATH (a login the process starts prints its address, which the test opens), and
  // a runtime folder of its own, so no browser host of another test takes a login over its bridge.
  const env = { ...process.env, ...keyring.env, MCP_LOGIN_BRIDGE_CONFIG: configPath, MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(dir, 'runtime'), PATH: dir };
  return { provider, mcp, store, env, login };
}

interface Connected {
  client: Client;
  stderr(): string;
  /** Resolves with each start link the process prints for a login it starts. */
  nextLoginLink(): Promise<string>;
  close(): Promise<void>;
}

/** `autoLogin`: the test's browser opens every login address the process prints, at once (needed when the client's initialize waits for the login). */
async function connect(w: World, args: string[] = [], autoLogin = false): Promise<Connected> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI_BIN, 'connect', w.mcp.url, ...args], env: w.env as Record<string, string>, stderr: 'pipe' });
  let stderr = '';
  let seen = 0;
  const waiters: ((link: string) => void)[] = [];
  const links: string[] = [];
  transport.stderr!.on('data', (d) => {
    stderr += d;
    for (const m of stderr.matchAll(/Open this address to log in to \S+:\n\s+(\S+)/g)) {
      if (m.index! < seen) continue;
      seen = m.index! + m[0].length;
      const waiter = waiters.shift();
      if (autoLogin) void openStartLink(m[1]!);
      else if (waiter) waiter(m[1]!);
      else links.push(m[1]!);
    }
  });
  const client = new Client({ name: 'connect-test', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async (request) => ({ action: 'accept', content: { colour: `green (asked: ${request.params.message})` } }));
  await client.connect(transport);
  const connected = {
    client,
    stderr: () => stderr,
    nextLoginLink: () => (links.length ? Promise.resolve(links.shift()!) : new Promise<string>((r) => waiters.push(r))),
    close: () => client.close(),
  };
  cleanup.push(() => connected.close());
  return connected;
}

/** The browser's part of a login the process started: through the start link to its loopback callback. */
async function openStartLink(link: string): Promise<URL[]> {
  const jar = new CookieJar();
  const callbackUrl = new URL('/callback', link).href;
  const { callback, visited } = await followToCallback(link, callbackUrl, jar);
  const page = await fetch(callback, { headers: { cookie: jar.header(callback) } });
  expect(page.status).toBe(200);
  return visited;
}

function text(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as { type: string; text: string }[]).map((c) => c.text).join('');
}

async function untilInsideMargin(store: BridgeStore, url: string): Promise<string> {
  const stored = (await store.read(url))!;
  const wait = stored.expiresAt! - MARGIN_MS - Date.now() + 500;
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  return stored.accessToken;
}

describe('connect: an SDK stdio client through the built binary', () => {
  it('lists tools, calls them, passes elicitation and progress both ways; one refresh for 50 calls inside the margin', async () => {
    const w = await world();
    const c = await connect(w);
    const tools = await c.client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['whoami', 'count', 'ask-user', 'admin-report']));
    const stored = (await w.store.read(w.mcp.url))!;
    expect(text(await c.client.callTool({ name: 'whoami' }))).toBe('You are demo-user.');
    expect(w.mcp.stats.tokensSeen.at(-1)).toBe(stored.accessToken);

    // A server-to-client request (elicitation) reaches the client, and its answer the server.
    expect(text(await c.client.callTool({ name: 'ask-user' }))).toBe('The user answered accept: {"colour":"green (asked: Which colour?)"}');
    // Notifications from the server (progress for the client's request) arrive, in order.
    const progress: number[] = [];
    const counted = await c.client.callTool({ name: 'count', arguments: { n: 3, delayMs: 100 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(text(counted)).toBe('Counted to 3.');
    expect(progress).toEqual([1, 2, 3]);
    expect(w.provider.stats.refreshRequests).toBe(0);

    // 90 s tokens, a 60 s margin: after 30 s the next calls refresh — once, for all of them.
    const old = await untilInsideMargin(w.store, w.mcp.url);
    const seenBefore = w.mcp.stats.tokensSeen.length;
    const results = await Promise.all(Array.from({ length: 50 }, () => c.client.callTool({ name: 'whoami' })));
    for (const r of results) expect(text(r)).toBe('You are demo-user.');
    expect(w.provider.stats.refreshRequests).toBe(1);
    const renewed = (await w.store.read(w.mcp.url))!;
    expect(renewed.accessToken).not.toBe(old);
    expect(new Set(w.mcp.stats.tokensSeen.slice(seenBefore))).toEqual(new Set([renewed.accessToken]));
    // …and the call right after uses the new token, with no further refresh.
    await c.client.callTool({ name: 'whoami' });
    expect(w.mcp.stats.tokensSeen.at(-1)).toBe(renewed.accessToken);
    expect(w.provider.stats.refreshRequests).toBe(1);
    expect(c.stderr()).not.toContain(renewed.accessToken);
    expect(c.stderr()).not.toContain(old);
  }, 120_000);

  it('a rotating provider: the refresh inside the margin keeps the grant alive', async () => {
    // 75 s tokens: 15 s outside the margin, room for a loaded machine to start everything.
    const w = await world({ rotate: true, ttl: 75 });
    const c = await connect(w);
    expect(text(await c.client.callTool({ name: 'whoami' }))).toBe('You are demo-user.');
    for (let round = 0; round < 2; round += 1) {
      const before = (await w.store.read(w.mcp.url))!;
      const refreshes = w.provider.stats.refreshRequests;
      await untilInsideMargin(w.store, w.mcp.url);
      expect(text(await c.client.callTool({ name: 'whoami' }))).toBe('You are demo-user.');
      const after = (await w.store.read(w.mcp.url))!;
      expect(w.provider.stats.refreshRequests - refreshes).toBe(1);
      // Rotated, and the next round refreshes from the rotated token: the grant is intact.
      expect(after.refreshToken).not.toBe(before.refreshToken);
      expect(w.mcp.stats.tokensSeen.at(-1)).toBe(after.accessToken);
    }
    expect(w.provider.stats.refreshTokenReuses).toBe(0);
    expect(w.provider.stats.grantsRevoked).toBe(0);
  }, 90_000);

  it('403 insufficient_scope: a second login with the union of scopes, then the call succeeds', async () => {
    const w = await world();
    const c = await connect(w);
    const authorizes = w.provider.stats.authorizeRequests.length;
    const call = c.client.callTool({ name: 'admin-report' }, undefined, { timeout: 60_000 });
    const visited = await openStartLink(await c.nextLoginLink());
    const result = await call;
    expect(w.mcp.stats.insufficientScope).toBe(1);
    expect(w.provider.stats.authorizeRequests.length).toBe(authorizes + 1);
    const asked = new URL(visited.find((u) => u.pathname === '/auth')!).searchParams.get('scope')!.split(' ');
    expect(asked).toEqual(expect.arrayContaining(['openid', 'email', 'mcp:tools', 'profile']));
    expect(text(result)).toMatch(/^Report for demo-user with scopes .*\bprofile\b/);
    expect((await w.store.read(w.mcp.url))!.scope.split(' ')).toContain('profile');
    // The other tools keep working with the new login.
    expect(text(await c.client.callTool({ name: 'whoami' }))).toBe('You are demo-user.');
  }, 90_000);

  it('no login stored: one starts (its address on stderr); --no-login exits 4 with the login command', async () => {
    const w = await world({ loggedIn: false });
    const refused = await runRaw(w, ['--no-login'], []);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain(`run: mcp-login-bridge login ${w.mcp.url}`);
    expect(refused.stdout).toBe('');

    const authorizes = w.provider.stats.authorizeRequests.length;
    const c = await connect(w, [], true);
    expect((await c.client.listTools()).tools.length).toBeGreaterThan(0);
    expect(w.provider.stats.authorizeRequests.length).toBe(authorizes + 1);
    expect(c.stderr()).toContain(`Open this address to log in to ${w.mcp.url}`);
    expect((await w.store.read(w.mcp.url))?.refreshToken).toBeTruthy();
  }, 90_000);

  it('a revoked refresh token: each request gets an error naming the login command, and a new login works without a restart', async () => {
    const w = await world({ ttl: 62 });
    const c = await connect(w);
    const stored = (await w.store.read(w.mcp.url))!;
    // Revoke the grant at the provider, as a user removing the app's access would.
    const revoked = await fetch(`${w.provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: stored.refreshToken!, token_type_hint: 'refresh_token', client_id: w.provider.clientId, client_secret: w.provider.clientSecret }),
    });
    expect(revoked.status).toBe(200);
    await untilInsideMargin(w.store, w.mcp.url);
    for (let i = 0; i < 2; i += 1) {
      const error = await c.client.callTool({ name: 'whoami' }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(-32000);
      expect((error as McpError).message).toContain(`run: mcp-login-bridge login ${w.mcp.url}`);
      expect((error as McpError).data).toEqual({ kind: 'login-needed' });
    }
    await w.login();
    expect(text(await c.client.callTool({ name: 'whoami' }))).toBe('You are demo-user.');
  }, 60_000);

  it('the server drops mid-session: the call in flight gets an error, connect reconnects, later calls work', async () => {
    const w = await world();
    const c = await connect(w);
    expect(text(await c.client.callTool({ name: 'whoami' }))).toBe('You are demo-user.');
    const port = Number(new URL(w.mcp.url).port);
    const inFlight = c.client.callTool({ name: 'count', arguments: { n: 10, delayMs: 1000 } }).then(() => undefined, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500));
    await w.mcp.close();
    const error = await inFlight;
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32000);
    expect(((error as McpError).data as { kind: string }).kind).toMatch(/connection-lost|server-unreachable/);

    // While the server is down, requests are told why the reconnection fails, in the host's words.
    const { host } = new URL(w.mcp.url);
    let meanwhile: McpError | undefined;
    for (let i = 0; i < 40 && (meanwhile?.data as { network?: string } | undefined)?.network === undefined; i += 1) {
      meanwhile = await c.client.callTool({ name: 'whoami' }).then(() => undefined, (e: unknown) => e as McpError);
      if ((meanwhile?.data as { network?: string } | undefined)?.network === undefined) await new Promise((r) => setTimeout(r, 250));
    }
    expect(meanwhile).toBeInstanceOf(McpError);
    expect(meanwhile!.data).toEqual({ kind: 'connection-lost', network: 'refused' });
    expect(meanwhile!.message).toContain(`the connection to ${host} was lost and is not back yet: ${host} refused the connection (ECONNREFUSED): nothing is listening there`);
    expect(c.stderr()).toMatch(new RegExp(`reconnecting \\(attempt \\d+\\) failed: ${host.replace(/\./g, '\\.')} refused the connection \\(ECONNREFUSED\\)`));

    const restarted = await startMcpServer({ issuer: w.provider.issuer, sessions: true, port });
    cleanup.push(() => restarted.close());
    let answer: string | undefined;
    for (let i = 0; i < 40 && answer === undefined; i += 1) {
      answer = await c.client.callTool({ name: 'whoami' }).then(text, () => undefined);
      if (answer === undefined) await new Promise((r) => setTimeout(r, 500));
    }
    expect(answer).toBe('You are demo-user.');
    expect(restarted.stats.sessionsOpened).toBe(1);
    expect(c.stderr()).toContain('reconnected');
  }, 60_000);
});

/** Spawns connect with raw JSON-RPC lines on stdin, then closes stdin; resolves when it exits. */
function runRaw(w: World, args: string[], lines: unknown[], keepOpenMs = 0, url = w.mcp.url): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, 'connect', url, ...args], { env: w.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let closedAt = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - closedAt }));
    for (const line of lines) child.stdin.write(`${JSON.stringify(line)}\n`);
    setTimeout(() => {
      closedAt = Date.now();
      child.stdin.end();
    }, keepOpenMs);
  });
}

const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

describe('connect: a server with only the legacy HTTP+SSE transport', () => {
  it('falls back from Streamable HTTP and passes everything through', async () => {
    const w = await world({ mcp: { legacySse: true } });
    const c = await connect(w);
    expect(c.stderr()).toContain('does not take Streamable HTTP (HTTP 405); trying the HTTP+SSE transport');
    expect((await c.client.listTools()).tools.map((t) => t.name)).toContain('whoami');
    expect(text(await c.client.callTool({ name: 'whoami' }))).toBe('You are demo-user.');
    expect(text(await c.client.callTool({ name: 'ask-user' }))).toBe('The user answered accept: {"colour":"green (asked: Which colour?)"}');
    const stored = (await w.store.read(w.mcp.url))!;
    expect(new Set(w.mcp.stats.tokensSeen)).toEqual(new Set([stored.accessToken]));
  }, 60_000);
});

describe('connect: start and end of a session', () => {
  it('stdin closed: the session is deleted at the server and the process exits 0', async () => {
    const w = await world();
    const r = await runRaw(w, [], [INITIALIZE, { jsonrpc: '2.0', method: 'notifications/initialized' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }], 3000);
    expect(r.code, r.stderr).toBe(0);
    const answers = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(answers.map((a) => a.id)).toEqual([1, 2]);
    expect(answers[0].result.protocolVersion).toBe('2025-06-18');
    expect(w.mcp.stats.sessionsOpened).toBe(1);
    expect(w.mcp.stats.sessionDeletes).toBe(1);
  }, 30_000);

  it('server unreachable at the first message (refused): the host\'s wording in the JSON-RPC error and on stderr, exit 1', async () => {
    const w = await world();
    await w.mcp.close();
    const { host } = new URL(w.mcp.url);
    const r = await runRaw(w, [], [INITIALIZE], 10_000);
    expect(r.code).toBe(1);
    const sentence = `${host} refused the connection (ECONNREFUSED): nothing is listening there; check that the server is running and the URL's port is right, or try again later`;
    expect(r.stderr).toContain(`cannot reach the MCP server ${w.mcp.url}: ${sentence}. Exiting`);
    expect(r.stderr).not.toContain('fetch failed');
    const answer = JSON.parse(r.stdout.trim());
    expect(answer).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32000, message: sentence, data: { kind: 'server-unreachable', network: 'refused' } } });
  }, 30_000);

  it('--no-login with a keychain that cannot be read: the store\'s error and exit 1 at once, not a server that fails every request', async () => {
    const w = await world();
    const env = { ...w.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const r = await runRaw({ ...w, env }, ['--no-login'], [INITIALIZE], 10_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mcp-login-bridge: No D-Bus session bus/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('Details: KeychainUnavailable (500)');
  }, 30_000);

  it('a server that accepts the connection and never answers initialize: "timeout", exit 1', async () => {
    const w = await world();
    const held: Socket[] = [];
    const silent = createNetServer((socket) => held.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(async () => {
      for (const s of held) s.destroy();
      await new Promise((r) => silent.close(r));
    });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/mcp`;
    // The login is the fixture server's; this URL's own login is a copy of it (the silent server never checks it).
    await w.store.write({ ...(await w.store.read(w.mcp.url))!, serverUrl: url, resource: url });
    const r = await runRaw({ ...w, env: { ...w.env, MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: '1000' } }, [], [INITIALIZE], 8000, url);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`cannot reach the MCP server ${url}: 127.0.0.1:`);
    expect(r.stderr).toContain('did not answer in time (timed out)');
    expect(r.stderr).not.toContain('refused');
    const answer = JSON.parse(r.stdout.trim());
    expect(answer).toMatchObject({ id: 1, error: { code: -32000, data: { kind: 'server-unreachable', network: 'timeout' } } });
    expect(answer.error.message).toMatch(/^127\.0\.0\.1:\d+ did not answer in time \(timed out\)/);
  }, 30_000);
});

describe('connect: through a corporate proxy (HTTP_PROXY, NO_PROXY)', () => {
  // Loopback is not exempt from HTTP_PROXY by itself, so the fixture server on 127.0.0.1 is reached through the proxy.
  const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];
  let proxy: ForwardProxy;
  beforeAll(async () => {
    proxy = await startForwardProxy();
    cleanup.push(() => proxy.close());
  });
  function through(w: World, vars: Record<string, string>): World {
    const env = { ...w.env };
    for (const name of PROXY_VARS) delete env[name];
    return { ...w, env: { ...env, ...vars } };
  }

  it('every request to the server goes through the proxy\'s tunnel, kept for the next requests; NO_PROXY goes around it', async () => {
    const w = await world();
    proxy.requests = [];
    proxy.refuseWith = 0;
    const c = await connect(through(w, { HTTP_PROXY: proxy.url }));
    expect((await c.client.listTools()).tools.map((t) => t.name)).toContain('whoami');
    expect(text(await c.client.callTool({ name: 'whoami' }))).toBe('You are demo-user.');
    await c.close();
    const target = new URL(w.mcp.url).host;
    const tunnels = proxy.requests.filter((r) => r.method === 'CONNECT' && r.target === target);
    expect(tunnels.length).toBeGreaterThan(0);
    // Pooled tunnels: fewer CONNECTs than requests the server answered.
    expect(tunnels.length).toBeLessThan(w.mcp.stats.tokensSeen.length);

    proxy.requests = [];
    const direct = await connect(through(w, { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' }));
    expect(text(await direct.client.callTool({ name: 'whoami' }))).toBe('You are demo-user.');
    await direct.close();
    expect(proxy.requests).toEqual([]);
  }, 60_000);

  it('a proxy that refuses: the host\'s proxy wording in the JSON-RPC error and on stderr, exit 1', async () => {
    const w = await world();
    proxy.refuseWith = 403;
    try {
      const r = await runRaw(through(w, { HTTP_PROXY: proxy.url }), [], [INITIALIZE], 10_000);
      expect(r.code, r.stderr).toBe(1);
      const sentence = `the proxy ${proxy.url} (HTTP_PROXY) refused to connect to ${new URL(w.mcp.url).host} (HTTP 403 Forbidden); check that the proxy allows this host, or list the host in NO_PROXY to connect directly`;
      expect(r.stderr).toContain(`cannot reach the MCP server ${w.mcp.url}: ${sentence}. Exiting`);
      const answer = JSON.parse(r.stdout.trim());
      expect(answer).toEqual({ jsonrpc: '2.0', id: 1, error: { code: -32000, message: sentence, data: { kind: 'server-unreachable', network: 'proxy-refused' } } });
    } finally {
      proxy.refuseWith = 0;
    }
  }, 30_000);

  it('a proxy that takes the connection and never answers CONNECT: "timeout" naming the proxy, exit 1', async () => {
    const w = await world();
    const silent = await startForwardProxy();
    silent.silent = true;
    cleanup.push(() => silent.close());
    const timed = { ...w, env: { ...w.env, MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: '1000' } };
    const r = await runRaw(through(timed, { HTTP_PROXY: silent.url }), [], [INITIALIZE], 8000);
    expect(r.code, r.stderr).toBe(1);
    const target = new URL(w.mcp.url).host;
    const sentence = `the proxy ${silent.url} (HTTP_PROXY) did not answer the request to connect to ${target} in time (timed out)`;
    expect(r.stderr).toContain(`cannot reach the MCP server ${w.mcp.url}: ${sentence}`);
    const answer = JSON.parse(r.stdout.trim());
    expect(answer).toMatchObject({ id: 1, error: { code: -32000, data: { kind: 'server-unreachable', network: 'timeout' } } });
    expect(answer.error.message.startsWith(sentence)).toBe(true);
    expect(silent.requests).toEqual([{ method: 'CONNECT', target }]);
  }, 30_000);

  it('a proxy that cannot be reached: "proxy-unreachable", without its password', async () => {
    const w = await world();
    const gone = await startForwardProxy();
    const address = new URL(gone.url).host;
    await gone.close();
    const r = await runRaw(through(w, { http_proxy: `http://corp-user:s3cret@${address}` }), [], [INITIALIZE], 10_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`cannot reach the MCP server ${w.mcp.url}: could not reach the proxy http://${address} (http_proxy)`);
    expect(r.stderr + r.stdout).not.toContain('s3cret');
    const answer = JSON.parse(r.stdout.trim());
    expect(answer).toMatchObject({ id: 1, error: { code: -32000, data: { kind: 'server-unreachable', network: 'proxy-unreachable' } } });
  }, 30_000);
});

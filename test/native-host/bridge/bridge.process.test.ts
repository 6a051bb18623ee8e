/**
 * The loopback bridge of the built host, started as a browser starts it: who may connect (only a
 * process that read the 0600 runtime file, never a web page), what it accepts, and a CLI `login`
 * completed through it, the test playing the extension (it receives the openLogin push, follows the
 * provider's redirects and sends `complete`, as the extension's capture would).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BRIDGE_LIMITS, BRIDGE_SECRET_HEADER } from '../../../shared/bridge-protocol';
import { ErrorCode } from '../../../shared/errors';
import { writeFile } from 'node:fs/promises';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { CLI_BIN, spawnNativeHost, type NativeClient } from '../../helpers/native-client';
import { followToCallback } from '../../helpers/redirect-follower';

let keyring: KeyringHarness;
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let baseEnv: NodeJS.ProcessEnv;
let host: NativeClient | undefined;
let sharedHost: Started | undefined;

beforeAll(async () => {
  keyring = await startKeyring();
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
  const dir = await mkdtemp(join(tmpdir(), 'mlb-bridge-'));
  const config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
    }),
  );
  // No xdg-open on PATH: a login that fell back to the system browser could not open one.
  baseEnv = { ...process.env, ...keyring.env, MCP_LOGIN_BRIDGE_CONFIG: config, PATH: dir };
});
afterEach(async () => {
  await host?.close();
  host = undefined;
});
afterAll(async () => {
  await sharedHost?.host.close();
  await mcp?.close();
  await provider?.close();
  await keyring?.stop();
});

interface Started {
  host: NativeClient;
  dir: string;
  file: string;
  info: { port: number; secret: string; pid: number; browser: string };
  env: NodeJS.ProcessEnv;
}

/**
 * A host of its own for one test (closed after it), or with `shared` one host for a whole group.
 * `extraEnv` is added to the host's environment (and to `env`, which CLIs of the test use).
 */
async function startHost(shared = false, extraEnv: NodeJS.ProcessEnv = {}): Promise<Started> {
  if (shared && sharedHost) return sharedHost;
  const dir = join(await mkdtemp(join(tmpdir(), 'mlb-run-')), 'runtime');
  const env = { ...baseEnv, ...extraEnv, MCP_LOGIN_BRIDGE_RUNTIME_DIR: dir };
  const started = spawnNativeHost({ env });
  if (!shared) host = started;
  const file = join(dir, `host-${started.child.pid}.json`);
  const deadline = Date.now() + 10_000;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`no bridge file after 10 s; host stderr: ${started.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const s = { host: started, dir, file, info: JSON.parse(await readFile(file, 'utf8')), env };
  if (shared) sharedHost = s;
  return s;
}

/** Opens a connection; resolves with the socket, or with the HTTP status that refused it. */
function connect(port: number, options: WebSocket.ClientOptions = {}, path = '/'): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, options);
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<any> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
}

describe('bridge: the runtime file', () => {
  it('is 0600 in a 0700 directory, names this host, and is removed when the host exits', async () => {
    const s = await startHost();
    expect((await stat(s.file)).mode & 0o777).toBe(0o600);
    expect((await stat(s.dir)).mode & 0o777).toBe(0o700);
    expect(s.info).toMatchObject({ pid: s.host.child.pid, port: expect.any(Number) });
    expect(s.info.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The secret never reaches the browser's log of the host's stderr.
    expect(s.host.stderr()).not.toContain(s.info.secret);
    await s.host.close();
    host = undefined;
    expect(await readdir(s.dir)).toEqual([]);
  });
});

describe('bridge: who may connect', () => {
  it('accepts the secret without Origin, at Host 127.0.0.1:port, and answers hello', async () => {
    const s = await startHost(true);
    const { ws, status } = await connect(s.info.port, { headers: { [BRIDGE_SECRET_HEADER]: s.info.secret } });
    expect(status).toBeUndefined();
    ws!.send(JSON.stringify({ id: 'h', type: 'hello' }));
    expect(await nextMessage(ws!)).toMatchObject({
      id: 'h',
      ok: true,
      data: { pid: s.host.child.pid, protocolVersion: 1, capabilities: expect.arrayContaining(['login.clients']) },
    });
    ws!.close();
  });

  it('refuses a connection with an Origin header (any web page), even with the secret', async () => {
    const s = await startHost(true);
    for (const origin of ['https://evil.example', 'http://127.0.0.1:' + s.info.port, 'null']) {
      expect((await connect(s.info.port, { origin, headers: { [BRIDGE_SECRET_HEADER]: s.info.secret } })).status).toBe(403);
    }
  });

  it('refuses a missing or wrong secret', async () => {
    const s = await startHost(true);
    expect((await connect(s.info.port)).status).toBe(401);
    expect((await connect(s.info.port, { headers: { [BRIDGE_SECRET_HEADER]: 'x'.repeat(43) } })).status).toBe(401);
    expect((await connect(s.info.port, { headers: { [BRIDGE_SECRET_HEADER]: `${s.info.secret}x` } })).status).toBe(401);
  });

  it('refuses a foreign Host (DNS rebinding), localhost included', async () => {
    const s = await startHost(true);
    for (const hostHeader of [`evil.example:${s.info.port}`, `localhost:${s.info.port}`, '127.0.0.1']) {
      expect((await connect(s.info.port, { headers: { host: hostHeader, [BRIDGE_SECRET_HEADER]: s.info.secret } })).status).toBe(403);
    }
  });

  it('serves no plain HTTP and no other path', async () => {
    const s = await startHost(true);
    expect((await fetch(`http://127.0.0.1:${s.info.port}/`)).status).toBe(404);
    expect((await connect(s.info.port, { headers: { [BRIDGE_SECRET_HEADER]: s.info.secret } }, '/other')).status).toBe(400);
  });
});

describe('bridge: messages', () => {
  it('closes the connection on a message over the size limit (1009)', async () => {
    const s = await startHost(true);
    const { ws } = await connect(s.info.port, { headers: { [BRIDGE_SECRET_HEADER]: s.info.secret } });
    const closed = new Promise<number>((resolve) => ws!.once('close', (code) => resolve(code)));
    ws!.send(JSON.stringify({ id: 'big', type: 'hello', pad: 'x'.repeat(BRIDGE_LIMITS.maxMessageBytes) }));
    expect(await closed).toBe(1009);
  });

  it('validates every message like a native one, and keeps serving', async () => {
    const s = await startHost(true);
    const { ws } = await connect(s.info.port, { headers: { [BRIDGE_SECRET_HEADER]: s.info.secret } });
    ws!.send('{not json');
    expect(await nextMessage(ws!)).toMatchObject({ id: '', ok: false, error: { code: ErrorCode.MalformedMessage } });
    ws!.send(JSON.stringify({ id: 'u', type: 'complete', callbackUrl: 'http://127.0.0.1:1/callback?code=x&state=y' }));
    expect(await nextMessage(ws!)).toMatchObject({ id: 'u', ok: false, error: { code: ErrorCode.UnknownType } });
    ws!.send(JSON.stringify({ id: 'l', type: 'login', serverUrl: 'file:///etc/passwd' }));
    expect(await nextMessage(ws!)).toMatchObject({ id: 'l', ok: false, error: { code: ErrorCode.InvalidField } });
    ws!.send(JSON.stringify({ id: 'h', type: 'hello' }));
    expect(await nextMessage(ws!)).toMatchObject({ id: 'h', ok: true });
    const closed = new Promise<number>((resolve) => ws!.once('close', (code) => resolve(code)));
    ws!.send(Buffer.from('binary'), { binary: true });
    expect(await closed).toBe(1003);
  });
});

function runCli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done, stderr: () => stderr };
}

describe('login through the bridge (the test plays the extension)', () => {
  it('the host pushes openLogin to the extension; the extension\'s complete finishes the CLI\'s login', async () => {
    const s = await startHost();
    const cli = runCli(['login', mcp.url, '--json'], s.env);
    const push = await s.host.next(15_000);
    expect(push).toMatchObject({ push: 'openLogin', serverUrl: mcp.url, flow: { state: expect.any(String), redirectUri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/) } });
    expect(push).not.toHaveProperty('id');
    expect(new URL(push.flow.authorizeUrl).searchParams.get('access_type')).toBe('offline');
    const { callback } = await followToCallback(push.flow.authorizeUrl, push.flow.redirectUri);
    const completed = await s.host.request({ id: 'c1', type: 'complete', callbackUrl: callback.href });
    expect(completed).toMatchObject({ id: 'c1', ok: true, data: { refreshCapable: true } });
    const { code, stdout, stderr } = await cli.done;
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, via: 'extension', serverUrl: mcp.url, refreshCapable: true });
    expect(stderr).toContain('opened in a tab');
    expect(stdout + stderr).not.toContain(s.info.secret);
  });

  it('Ctrl-C in the CLI abandons the flow in the host', async () => {
    const s = await startHost();
    const cli = runCli(['login', mcp.url], s.env);
    const push = await s.host.next(15_000);
    // Wait until the CLI has heard that the flow is open, then interrupt it.
    while (!cli.stderr().includes('opened in a tab')) await new Promise((r) => setTimeout(r, 20));
    cli.child.kill('SIGINT');
    const { code } = await cli.done;
    expect(code).toBe(130);
    const { callback } = await followToCallback(push.flow.authorizeUrl, push.flow.redirectUri);
    // The host forgot the flow when the CLI's connection closed.
    let res: any;
    for (let i = 0; i < 50; i++) {
      res = await s.host.request({ id: `c${i}`, type: 'complete', callbackUrl: callback.href });
      if (res.ok === false && res.error.code === ErrorCode.UnknownState) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(res).toMatchObject({ ok: false, error: { code: ErrorCode.UnknownState } });
  });

  it('--browser naming a browser with no running host is a usage error', async () => {
    const s = await startHost();
    const { code, stderr } = await runCli(['login', mcp.url, '--browser', 'vivaldi'], s.env).done;
    expect(code).toBe(2);
    expect(stderr).toMatch(/no browser with the extension is running as "vivaldi"/);
  });
});

/**
 * Codex and Claude Code homes in a temp folder, both with a server at the fixture's URL (Codex
 * under "gm" with its file store, Claude Code under "mail"), so a login without a choice of
 * clients would land in both.
 */
async function clientHomes(): Promise<{ codexFile: string; claudeFile: string; env: NodeJS.ProcessEnv }> {
  const root = await mkdtemp(join(tmpdir(), 'mlb-targets-'));
  const codexHome = join(root, 'codex');
  const claudeDir = join(root, 'claude');
  const bin = join(root, 'bin');
  await mkdir(codexHome);
  await mkdir(claudeDir);
  await mkdir(bin);
  // Codex's locks need flock(1) or perl; the PATH still has no browser opener.
  for (const tool of ['flock', 'perl']) {
    const found = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, tool)).find((p) => existsSync(p));
    if (found) await symlink(found, join(bin, tool));
  }
  await writeFile(join(codexHome, 'config.toml'), `mcp_oauth_credentials_store = "file"\n\n[mcp_servers.gm]\nurl = "${mcp.url}"\n`);
  await writeFile(join(claudeDir, '.claude.json'), JSON.stringify({ mcpServers: { mail: { type: 'http', url: mcp.url } } }));
  return {
    codexFile: join(codexHome, '.credentials.json'),
    claudeFile: join(claudeDir, '.credentials.json'),
    env: { CODEX_HOME: codexHome, CLAUDE_CONFIG_DIR: claudeDir, CLAUDE_SECURESTORAGE_CONFIG_DIR: undefined, PATH: bin },
  };
}

async function readJsonIfExists(path: string): Promise<any> {
  return existsSync(path) ? JSON.parse(await readFile(path, 'utf8')) : undefined;
}

/**
 * Sends a bridge request and collects its events until the final answer; with `onEvent` null,
 * resolves with the first message for it, event or not (a refusal must not be an event).
 */
function bridgeRequest(ws: WebSocket, message: Record<string, unknown>, onEvent: ((event: any) => void) | null = () => undefined): Promise<any> {
  return new Promise((resolve) => {
    const listener = (d: WebSocket.RawData) => {
      const m = JSON.parse(d.toString());
      if (m.id !== message.id) return;
      if (typeof m.event === 'string' && onEvent) return onEvent(m);
      ws.off('message', listener);
      resolve(m);
    };
    ws.on('message', listener);
    ws.send(JSON.stringify(message));
  });
}

describe('bridge login: the clients a login is written to', () => {
  it('clients: ["codex"] writes our entry and Codex\'s store, not Claude Code\'s', async () => {
    const homes = await clientHomes();
    const s = await startHost(false, homes.env);
    const { ws } = await connect(s.info.port, { headers: { [BRIDGE_SECRET_HEADER]: s.info.secret } });
    let opening: any;
    const final = bridgeRequest(ws!, { id: 'l', type: 'login', serverUrl: mcp.url, clients: ['codex'] }, (e) => (opening = e));
    const push = await s.host.next(15_000);
    expect(push).toMatchObject({ push: 'openLogin', serverUrl: mcp.url });
    const { callback } = await followToCallback(push.flow.authorizeUrl, push.flow.redirectUri);
    expect(await s.host.request({ id: 'c', type: 'complete', callbackUrl: callback.href })).toMatchObject({ ok: true });
    const answer = await final;
    ws!.close();
    expect(opening).toMatchObject({ event: 'opening', flow: { state: push.flow.state } });
    expect(answer).toMatchObject({ id: 'l', ok: true });
    expect(answer.data.stored.map((t: any) => [t.target, t.server]), JSON.stringify(answer.data.notices)).toEqual([['bridge', undefined], ['codex', 'gm']]);
    expect(Object.keys((await readJsonIfExists(homes.codexFile)) ?? {})).toEqual([expect.stringMatching(/^gm\|/)]);
    // Claude Code has the server configured, so only the choice kept the login out of its store.
    expect(await readJsonIfExists(homes.claudeFile)).toBeUndefined();
  });

  it('refuses a bad clients field with InvalidField, naming no value, and begins nothing', async () => {
    const homes = await clientHomes();
    const s = await startHost(false, homes.env);
    const { ws } = await connect(s.info.port, { headers: { [BRIDGE_SECRET_HEADER]: s.info.secret } });
    const bad: unknown[] = [
      'codex',
      null,
      {},
      [1],
      ['bridge'],
      ['nobody-xyz'],
      ['Codex'],
      ['codex', 'codex'],
      ['codex', 'claude-code', 'codex'],
      Array(1000).fill('codex'),
    ];
    for (const [i, clients] of bad.entries()) {
      const answer = await bridgeRequest(ws!, { id: `b${i}`, type: 'login', serverUrl: mcp.url, clients }, null);
      expect(answer, JSON.stringify(clients)).toMatchObject({ id: `b${i}`, ok: false, error: { code: ErrorCode.InvalidField, message: expect.stringContaining('"clients"') } });
      expect(answer.error.message).not.toContain('nobody-xyz');
    }
    // No flow was begun: nothing pending, and no openLogin push came before the status answer.
    expect(await s.host.request({ id: 's1', type: 'status' })).toMatchObject({ id: 's1', ok: true, data: { pendingFlows: 0 } });
    // The same check sees a flow that was begun (an empty list: only our own entry).
    let opened = false;
    void bridgeRequest(ws!, { id: 'ok', type: 'login', serverUrl: mcp.url, clients: [] }, () => (opened = true));
    expect(await s.host.next(15_000)).toMatchObject({ push: 'openLogin' });
    expect(await s.host.request({ id: 's2', type: 'status' })).toMatchObject({ id: 's2', ok: true, data: { pendingFlows: 1 } });
    while (!opened) await new Promise((r) => setTimeout(r, 20));
    ws!.close();
  });

  it('login --client claude-code goes through the extension and writes only Claude Code\'s store', async () => {
    const homes = await clientHomes();
    const s = await startHost(false, homes.env);
    const cli = runCli(['login', mcp.url, '--client', 'claude-code', '--client', 'claude-code', '--json'], s.env);
    try {
      const push = await s.host.next(15_000);
      expect(push).toMatchObject({ push: 'openLogin', serverUrl: mcp.url });
      const { callback } = await followToCallback(push.flow.authorizeUrl, push.flow.redirectUri);
      expect(await s.host.request({ id: 'c', type: 'complete', callbackUrl: callback.href })).toMatchObject({ ok: true });
      const { code, stdout, stderr } = await cli.done;
      expect(code, stderr).toBe(0);
      const result = JSON.parse(stdout);
      expect(result).toMatchObject({ ok: true, via: 'extension', refreshCapable: true });
      expect(result.stored.map((t: any) => [t.target, t.server])).toEqual([['bridge', undefined], ['claude-code', 'mail']]);
      expect(Object.keys((await readJsonIfExists(homes.claudeFile))?.mcpOAuth ?? {})).toEqual([expect.stringMatching(/^mail\|/)]);
      expect(await readJsonIfExists(homes.codexFile)).toBeUndefined();
    } finally {
      cli.child.kill();
    }
  });
});

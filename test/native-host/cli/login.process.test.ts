/**
 * `mcp-login-bridge login` as a user runs it, without the extension: the real CLI process, the
 * real keyring, the Google-like provider. The test plays the browser with the redirect follower,
 * then either pastes the callback (--no-browser) or delivers it to the CLI's loopback listener.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { proofFor } from '../../../native-host/bridge/bridge-proof';
import { BRIDGE_NONCE_HEADER, BRIDGE_PROOF_HEADER } from '../../../shared/bridge-protocol';
import { writeBridgeFile } from '../../../native-host/bridge/runtime-files';
import { DEMO_ACCOUNT, startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { CLI_BIN, assertHostBuilt } from '../../helpers/native-client';
import { CookieJar, followToCallback } from '../../helpers/redirect-follower';
import { writeCodexConfig, writeClaudeConfig } from '../../helpers/credentials';

let keyring: KeyringHarness;
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
  const dir = await mkdtemp(join(tmpdir(), 'mlb-cli-'));
  const config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
    }),
  );
  // No xdg-open on PATH: the CLI must say so and keep waiting on its listener. A runtime folder of
  // its own: no browser host of another test may take the login over its bridge.
  env = { ...process.env, ...keyring.env, MCP_LOGIN_BRIDGE_CONFIG: config, PATH: dir, MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(dir, 'runtime') };
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  await keyring?.stop();
});

interface Run {
  child: ReturnType<typeof spawn>;
  authorizeUrl: Promise<string>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function runLogin(args: string[], runEnv: NodeJS.ProcessEnv = env): Run {
  const child = spawn(process.execPath, [CLI_BIN, 'login', ...args], { env: runEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let found: (url: string) => void;
  const authorizeUrl = new Promise<string>((r) => (found = r));
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => {
    stderr += d;
    const m = /Open this address to log in:\n\s+(\S+)/.exec(stderr);
    if (m) found(m[1]!);
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, authorizeUrl, done };
}

function redirectUriOf(authorizeUrl: string): string {
  return new URL(authorizeUrl).searchParams.get('redirect_uri')!;
}

/** The loopback callback of a login opened through the start link `link` (the same port). */
function callbackOf(link: string): string {
  return new URL('/callback', link).href;
}

/** A browser's visit of a start link: through the provider to the callback, cookies and all. */
async function openStartLink(link: string): Promise<{ page: Response; visited: URL[] }> {
  const jar = new CookieJar();
  const { callback, visited } = await followToCallback(link, callbackOf(link), jar);
  return { page: await fetch(callback, { headers: { cookie: jar.header(callback) } }), visited };
}

describe('login (CLI, no extension)', () => {
  it('--no-browser: takes the pasted callback URL and exits 0 with a refresh-capable login', async () => {
    const run = runLogin([mcp.url, '--no-browser', '--json']);
    const url = await run.authorizeUrl;
    expect(new URL(url).searchParams.get('access_type')).toBe('offline');
    const { callback } = await followToCallback(url, redirectUriOf(url));
    // The pipe stays open: the CLI must exit on its own once the login is done.
    run.child.stdin!.write(`${callback.href}\n`);
    const { code, stdout, stderr } = await run.done;
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ ok: true, serverUrl: mcp.url, refreshCapable: true });
    expect(stdout).not.toMatch(/access_?token|refresh_?token/i);
  });

  it('--no-browser: a bad paste is explained and asked for again; the login survives it', async () => {
    const run = runLogin([mcp.url, '--no-browser', '--json']);
    const url = await run.authorizeUrl;
    const { callback } = await followToCallback(url, redirectUriOf(url));
    // Not an address, then the right address cut off before its code, then the real one.
    run.child.stdin!.write('hello\n');
    const cut = new URL(callback.href);
    cut.searchParams.delete('code');
    run.child.stdin!.write(`${cut.href}\n`);
    run.child.stdin!.write(`${callback.href}\n`);
    const { code, stdout, stderr } = await run.done;
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, refreshCapable: true });
    expect(stderr).toContain('That is not an address; copy the whole address');
    expect(stderr).toContain('That address has no "code" in it');
    // A prompt for each try, and no "waiting in your browser" when no browser is used.
    expect(stderr.match(/Paste the address here and press Enter: /g)).toHaveLength(3);
    expect(stderr).not.toContain('Waiting for the login to finish in your browser');
    expect(stderr).not.toContain(new URL(callback.href).searchParams.get('code')!);
  });

  it('--no-browser: gives up after three bad pastes, exit 1', async () => {
    const run = runLogin([mcp.url, '--no-browser']);
    await run.authorizeUrl;
    run.child.stdin!.write('a\nb\nc\n');
    const { code, stderr } = await run.done;
    expect(code).toBe(1);
    expect(stderr).toContain('No usable address after 3 tries; run login again');
  });

  it('--no-browser with stdin closed fails at once instead of waiting out the timeout', async () => {
    const run = runLogin([mcp.url, '--no-browser', '--timeout', '600']);
    await run.authorizeUrl;
    run.child.stdin!.end();
    // Waiting out the 600 s would fail this test by its 60 s limit.
    const { code, stderr } = await run.done;
    expect(code).toBe(1);
    expect(stderr).toContain('mcp-login-bridge: Stdin closed before the address was pasted');
    // The CLI's own condition, not a host error: no code to quote.
    expect(stderr).not.toContain('Details:');
    expect(stderr).not.toContain('no callback from the browser within');
  });

  it('without a browser to open: completes when the browser reaches its loopback listener', async () => {
    const run = runLogin([mcp.url]);
    const link = await run.authorizeUrl;
    // What it prints (and would hand to xdg-open) is a start link on its own port, not the authorize URL.
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/start\/[\w-]{22}$/);
    const { page, visited } = await openStartLink(link);
    expect(visited[1]!.searchParams.get('access_type')).toBe('offline');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Logged in');
    const { code, stdout, stderr } = await run.done;
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('Could not open a browser');
    // Which account, as gh auth login says: the fixture's ID token names it by email.
    expect(stdout).toContain(`Logged in to ${mcp.url} as ${DEMO_ACCOUNT.email}\n`);
    expect(stdout).toContain('refresh token: yes');
  });

  it('the user opening the start link a second time (a click on the printed link) still logs in, once', async () => {
    const tokenRequestsBefore = provider.stats.tokenRequests;
    const run = runLogin([mcp.url, '--json']);
    const link = await run.authorizeUrl;
    // The browser xdg-open started got as far as the provider...
    await followToCallback(link, callbackOf(link), new CookieJar());
    // ...and the user also clicked the link in the terminal. This machine's kernel says both
    // visitors are the user (this test's own uid), so the second is answered like the first.
    const { page } = await openStartLink(link);
    expect(page.status).toBe(200);
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, refreshCapable: true });
    expect(provider.stats.tokenRequests - tokenRequestsBefore, 'one code redeemed').toBe(1);
  });

  it("refuses a callback without the start link's cookie and calls the login off (nothing redeemed)", async () => {
    const tokenRequestsBefore = provider.stats.tokenRequests;
    const run = runLogin([mcp.url, '--json']);
    const link = await run.authorizeUrl;
    const { callback } = await followToCallback(link, callbackOf(link));
    const refused = await fetch(callback); // a browser that dropped the cookie, or a caller that never had it
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('did not send back the cookie');
    const { code, stdout } = await run.done;
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, error: { name: 'CallbackCookieMissing' } });
    expect(provider.stats.tokenRequests, 'no code was redeemed').toBe(tokenRequestsBefore);
  });

  it('gives up after --timeout with a clear message and exit 1', async () => {
    const run = runLogin([mcp.url, '--timeout', '1', '--no-browser']);
    await run.authorizeUrl;
    const { code, stderr } = await run.done;
    expect(code).toBe(1);
    expect(stderr).toMatch(/No callback from the browser within 1 s/);
  });

  it('Ctrl-C cancels the login and exits 130', async () => {
    const run = runLogin([mcp.url, '--no-browser']);
    await run.authorizeUrl;
    run.child.kill('SIGINT');
    const { code, stderr } = await run.done;
    expect(code).toBe(130);
    expect(stderr).toMatch(/cancelled/);
  });

  it('refuses a bad --timeout, a missing URL and a URL with a password as usage errors (exit 2)', async () => {
    expect((await runLogin([mcp.url, '--timeout', '9999']).done).code).toBe(2);
    expect((await runLogin([]).done).code).toBe(2);
    const withPassword = await runLogin(['https://me:hunter2@mcp.example/mcp']).done;
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toContain('must not hold a user name or password');
    expect(withPassword.stderr).not.toContain('hunter2');
  });
});

/**
 * A stand-in browser host announced in `runtime` under this test process's pid (a live one, so the
 * CLI does not treat the file as stale). It answers the CLI's nonce with the proof a real host
 * gives (bridge-proof.ts) unless `prove` is false: then it is a program that took a dead host's port.
 */
async function startFakeHost(runtime: string, onMessage: (ws: WebSocket, m: { id: string; type: string }) => void, { prove = true } = {}) {
  const secret = randomBytes(32).toString('base64url');
  const received: string[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('headers', (headers, req) => {
    const proof = proofFor(secret, req.headers[BRIDGE_NONCE_HEADER] as string | undefined);
    if (prove && proof) headers.push(`${BRIDGE_PROOF_HEADER}: ${proof}`);
  });
  wss.on('connection', (ws) =>
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      received.push(m.type);
      onMessage(ws, m);
    }),
  );
  const port = (wss.address() as { port: number }).port;
  await writeBridgeFile(runtime, { version: 1, pid: process.pid, port, secret, browser: 'chromium', startedAt: Date.now() });
  return {
    received,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise((r) => wss.close(r));
    },
  };
}

/** A browser host of a release before `login.clients`: it answers hello without capabilities and would take a login (ignoring `clients`). */
function startOldHost(runtime: string) {
  return startFakeHost(runtime, (ws, m) => {
    if (m.type === 'hello') ws.send(JSON.stringify({ id: m.id, ok: true, data: { hostVersion: '0.0.9', protocolVersion: 1, pid: process.pid, browser: 'chromium' } }));
    // An old host would run the login for every client; answering with an error ends such a CLI at once.
    else ws.send(JSON.stringify({ id: m.id, ok: false, error: { code: 599, name: 'Internal', message: 'the old host was sent a login' } }));
  });
}

describe('login --client with a browser host too old to honour it', () => {
  it('falls back to the login in this process, says so, and writes only the chosen client', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mlb-cli-old-'));
    const codexHome = join(root, 'codex');
    const claudeDir = join(root, 'claude');
    const bin = join(root, 'bin');
    await Promise.all([mkdir(codexHome), mkdir(claudeDir), mkdir(bin)]);
    // Codex's locks need flock(1) or perl; the PATH still has no browser opener.
    for (const tool of ['flock', 'perl']) {
      const found = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, tool)).find((p) => existsSync(p));
      if (found) await symlink(found, join(bin, tool));
    }
    await writeCodexConfig(codexHome, [{ name: 'gm', url: mcp.url }]);
    await writeClaudeConfig(claudeDir, [{ name: 'mail', url: mcp.url }]);
    const runtime = join(root, 'runtime');
    const old = await startOldHost(runtime);
    const runEnv = { ...env, PATH: bin, CODEX_HOME: codexHome, CLAUDE_CONFIG_DIR: claudeDir, CLAUDE_SECURESTORAGE_CONFIG_DIR: undefined, MCP_LOGIN_BRIDGE_RUNTIME_DIR: runtime };
    const runs: Run[] = [];
    try {
      const run = runLogin([mcp.url, '--client', 'codex', '--json'], runEnv);
      runs.push(run);
      const url = await Promise.race([run.authorizeUrl, run.done.then((r) => Promise.reject(new Error(`login ended first: ${r.stderr}`)))]);
      expect((await openStartLink(url)).page.status).toBe(200);
      const { code, stdout, stderr } = await run.done;
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(/the host in chromium \(mcp-login-bridge 0\.0\.9\) cannot limit a login to --client targets; using your default browser instead/);
      // It asked the old host who it is, and sent it no login.
      expect(old.received).toEqual(['hello']);
      const result = JSON.parse(stdout);
      expect(result).toMatchObject({ ok: true, via: 'system-browser' });
      expect(result.stored.map((t: any) => [t.target, t.server])).toEqual([['bridge', undefined], ['codex', 'gm']]);
      expect(existsSync(join(claudeDir, '.credentials.json'))).toBe(false);
      expect(Object.keys(JSON.parse(await readFile(join(codexHome, '.credentials.json'), 'utf8')))).toEqual([expect.stringMatching(/^gm\|/)]);

      // With --browser naming that host, falling back to another browser is not what was asked: an error.
      runs.push(runLogin([mcp.url, '--client', 'codex', '--browser', 'chromium'], runEnv));
      const named = await runs[1]!.done;
      expect(named.code).toBe(1);
      expect(named.stderr).toMatch(/cannot limit a login to --client targets; restart chromium/);
      expect(old.received).toEqual(['hello', 'hello']);
    } finally {
      // A CLI that sent the old host a login would wait for it: do not leave it behind.
      for (const r of runs) r.child.kill();
      await old.close();
    }
  });
});

describe('login through a host that sends control characters', () => {
  it('prints none of them: rule ids, the authorize URL and the host error reach the terminal cleaned', async () => {
    const ESC = '\x1b';
    const runtime = join(await mkdtemp(join(tmpdir(), 'mlb-cli-esc-')), 'runtime');
    const host = await startFakeHost(runtime, (ws, m) => {
      if (m.type === 'hello') {
        ws.send(JSON.stringify({ id: m.id, ok: true, data: { hostVersion: `1.0${ESC}]0;pwned\x07`, protocolVersion: 1, pid: process.pid, browser: 'chromium', capabilities: ['login.clients'] } }));
        return;
      }
      const flow = {
        state: 's',
        authorizeUrl: `https://as.example/authorize${ESC}]8;;https://evil.example${ESC}\\\u202Eclick`,
        redirectUri: 'http://127.0.0.1:1/callback',
        issuer: 'https://as.example',
        appliedRules: [`rule${ESC}[2J`],
        expiresAt: Date.now() + 600_000,
      };
      ws.send(JSON.stringify({ id: m.id, event: 'opening', flow }));
      ws.send(JSON.stringify({ id: m.id, ok: false, error: { code: 304, name: 'AuthorizationDenied', message: `denied${ESC}[1A${ESC}[2K\r\x9b31mgranted` } }));
    });
    const run = runLogin(['https://mcp.example/mcp'], { ...env, MCP_LOGIN_BRIDGE_RUNTIME_DIR: runtime });
    try {
      const { code, stdout, stderr } = await run.done;
      expect(code).not.toBe(0);
      expect(stderr).toContain('If no tab appeared, open:\n  https://as.example/authorize]8;;https://evil.example\\click');
      expect(stderr).toContain('Provider rules applied: rule[2J');
      expect(stderr).toContain('denied');
      expect(stdout + stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
    } finally {
      run.child.kill();
      await host.close();
    }
  });
});

describe('login when the port in the runtime file is not the host that wrote it', () => {
  it('talks to no program that cannot prove it holds the secret, and logs in without it', async () => {
    // A host died without removing its file; another program now listens on its port.
    const runtime = join(await mkdtemp(join(tmpdir(), 'mlb-cli-impostor-')), 'runtime');
    const impostor = await startFakeHost(runtime, (ws, m) => ws.send(JSON.stringify({ id: m.id, ok: true, data: {} })), { prove: false });
    const run = runLogin([mcp.url, '--json'], { ...env, MCP_LOGIN_BRIDGE_RUNTIME_DIR: runtime });
    try {
      const link = await Promise.race([run.authorizeUrl, run.done.then((r) => Promise.reject(new Error(`login ended first: ${r.stderr}`)))]);
      expect((await openStartLink(link)).page.status).toBe(200);
      const { code, stdout, stderr } = await run.done;
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(/did not answer \(.*could not prove it is the host that wrote the runtime file/);
      expect(JSON.parse(stdout)).toMatchObject({ ok: true, via: 'system-browser' });
      expect(impostor.received, 'not even hello reached it').toEqual([]);
    } finally {
      run.child.kill();
      await impostor.close();
    }
  });
});

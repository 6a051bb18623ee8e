/**
 * A machine without a desktop keychain (an SSH session, a container): no D-Bus session bus at all.
 * `login --no-browser --client codex` runs against the real fixtures (the Google-like provider, the
 * MCP server) and must land in Codex's own file store and in the bridge's 0600 fallback file, so
 * `token` and `status` work afterwards. With a store that cannot be written, the login must stop
 * before anything is opened: no browser, no authorize request, no code redeemed.
 *
 * No browser here: the pasted callback comes from following the authorize URL's redirects
 * (test/helpers/redirect-follower.ts), as a person would copy it from a browser elsewhere.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../fixtures/mcp-server';
import { assertHostBuilt, CLI_BIN } from '../helpers/native-client';
import { followToCallback } from '../helpers/redirect-follower';

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let dir: string;

beforeAll(async () => {
  assertHostBuilt();
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
  dir = await mkdtemp(join(tmpdir(), 'mlb-headless-'));
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A user's environment with no session bus: no DBUS_SESSION_BUS_ADDRESS, and no bus socket in XDG_RUNTIME_DIR. */
async function headlessEnv(name: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const home = join(dir, name);
  const runtime = join(home, 'run');
  const codexHome = join(home, '.codex');
  await mkdir(runtime, { recursive: true, mode: 0o700 });
  await mkdir(codexHome, { recursive: true });
  await writeFile(join(codexHome, 'config.toml'), `[mcp_servers.fixture]\nurl = "${mcp.url}"\n`);
  const config = join(home, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: [{ id: 'fixture-google', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
    }),
  );
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_RUNTIME_DIR: runtime,
    MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(runtime, 'mcp-login-bridge'),
    MCP_LOGIN_BRIDGE_CONFIG: config,
    CODEX_HOME: codexHome,
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    ...extra,
  };
  expect(env.DBUS_SESSION_BUS_ADDRESS).toBeUndefined();
  return env;
}

function cli(args: string[], env: Record<string, string>, onStderr?: (text: string, stdin: NodeJS.WritableStream) => void) {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    onStderr?.(stderr, child.stdin);
  });
  if (!onStderr) child.stdin.end();
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('no D-Bus session: login, token and status through the file stores', () => {
  it('login --no-browser --client codex writes Codex\'s file store and the bridge\'s 0600 file; token and status use them', async () => {
    const env = await headlessEnv('ok');
    let pasted = false;
    const login = await cli([`login`, mcp.url, '--no-browser', '--client', 'codex', '--json', '--timeout', '60'], env, (stderr, stdin) => {
      const m = /Open this address to log in:\n\s+(\S+)/.exec(stderr);
      if (!m || pasted) return;
      pasted = true;
      const authorize = new URL(m[1]!);
      followToCallback(authorize, authorize.searchParams.get('redirect_uri')!).then(
        ({ callback }) => stdin.end(`${callback.href}\n`),
        (error: Error) => stdin.end(`failed: ${error.message}\n`),
      );
    });
    expect(login.code, login.stderr).toBe(0);
    const result = JSON.parse(login.stdout) as { stored: Array<{ target: string; location: string }>; refreshCapable: boolean };
    expect(result.refreshCapable).toBe(true);

    // The bridge's entry: one 0600 file in a 0700 folder under the state directory.
    const fileDir = join(env.HOME!, '.local', 'state', 'mcp-login-bridge', 'credentials');
    const files = await readdir(fileDir);
    expect(files).toHaveLength(1);
    const bridgeFile = join(fileDir, files[0]!);
    expect((await stat(bridgeFile)).mode & 0o777).toBe(0o600);
    expect((await stat(fileDir)).mode & 0o777).toBe(0o700);
    const entry = JSON.parse(await readFile(bridgeFile, 'utf8')) as { serverUrl: string; accessToken: string; refreshToken?: string };
    expect(entry.serverUrl).toBe(mcp.url);
    expect(entry.refreshToken).toBeTruthy();
    expect(result.stored).toContainEqual({ target: 'bridge', location: `file ${bridgeFile}` });
    // One line on stderr says where it went and why; no token anywhere in the output.
    expect(login.stderr).toMatch(new RegExp(`warning: no usable keychain \\(No D-Bus session bus.*stored the login for ${mcp.url.replace(/[.]/g, '\\.')} in ${bridgeFile.replace(/[.]/g, '\\.')} \\(0600, not encrypted\\)`));
    expect(login.stdout + login.stderr).not.toContain(entry.accessToken);

    // Codex's own store: Codex's "auto" without a keychain is $CODEX_HOME/.credentials.json.
    const codexFile = join(env.CODEX_HOME!, '.credentials.json');
    expect(result.stored.find((s) => s.target === 'codex')?.location).toContain(codexFile);
    expect((await stat(codexFile)).mode & 0o777).toBe(0o600);
    const codex = JSON.parse(await readFile(codexFile, 'utf8')) as Record<string, { server_url: string; access_token: string; refresh_token?: string }>;
    const codexEntry = Object.values(codex).find((e) => e.server_url === mcp.url);
    expect(codexEntry?.access_token).toBe(entry.accessToken);
    expect(codexEntry?.refresh_token).toBe(entry.refreshToken);

    const token = await cli(['token', mcp.url], env);
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout).toBe(`${entry.accessToken}\n`);

    const status = await cli(['status', '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as { store: { mode: string; keychainProblem?: string }; credentials: Array<{ serverUrl: string; location: string }> };
    expect(report.store.mode).toBe('auto');
    expect(report.store.keychainProblem).toMatch(/No D-Bus session bus/);
    expect(report.credentials).toEqual([expect.objectContaining({ serverUrl: mcp.url, location: `file ${bridgeFile}` })]);
    const text = await cli(['status'], env);
    expect(text.stdout).toContain(`stored in: file ${bridgeFile}`);
  });

  it('with a store that cannot be written, login stops before anything opens and no code is requested or redeemed', async () => {
    // The state folder cannot be created: its parent is a file (root ignores permission bits, so a
    // read-only folder would not stop this test's root user; a non-root run gets a 0500 folder).
    const home = join(dir, 'blocked');
    const stateHome = join(home, 'state');
    await mkdir(home, { recursive: true });
    if (process.getuid?.() === 0) await writeFile(stateHome, 'not a folder');
    else await mkdir(stateHome, { mode: 0o500 });
    // An opener that records being run: a login that opened anything would leave its file.
    const pathDir = join(home, 'bin');
    const opened = join(home, 'opened');
    await mkdir(pathDir);
    await writeFile(join(pathDir, 'xdg-open'), `#!/bin/sh\necho "$@" > '${opened}'\n`, { mode: 0o755 });
    const env = await headlessEnv('blocked', { XDG_STATE_HOME: stateHome, PATH: `${pathDir}:${process.env.PATH ?? '/usr/bin:/bin'}` });
    const before = { authorize: provider.stats.authorizeRequests.length, token: provider.stats.tokenRequests };

    const login = await cli(['login', mcp.url, '--no-extension', '--client', 'codex', '--timeout', '30'], env);
    expect(login.code).toBe(1);
    expect(login.stderr).toContain(join(stateHome, 'mcp-login-bridge', 'credentials'));
    expect(login.stderr).toMatch(/make .* writable/);
    expect(login.stderr).not.toContain('Open this address');
    expect(existsSync(opened)).toBe(false);
    expect(provider.stats.authorizeRequests.length).toBe(before.authorize);
    expect(provider.stats.tokenRequests).toBe(before.token);
    expect(existsSync(join(env.CODEX_HOME!, '.credentials.json'))).toBe(false);
  });
});

/**
 * A `kill -9` landing inside a login's store write: after the bridge's keychain entry is written
 * and before the clients' copies (Codex, Claude Code) are. The window is milliseconds wide; the
 * test-only pause (native-host/oauth/store-write-pause.ts) holds the real CLI there, so the kill
 * lands in it every time. Real keyring over D-Bus, real Codex and Claude Code file stores, the
 * Google-like provider.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshCredential } from '../../../native-host/oauth/refresh';
import { PAUSE_ENV } from '../../../native-host/oauth/store-write-pause';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { CLI_BIN, assertHostBuilt } from '../../helpers/native-client';
import { followToCallback } from '../../helpers/redirect-follower';
import { writeCodexConfig, writeClaudeConfig } from '../../helpers/credentials';

let keyring: KeyringHarness;
let restoreEnv: () => void;
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let root = '';
let env: NodeJS.ProcessEnv;
let codexHome = '';
let claudeDir = '';

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
  root = await mkdtemp(join(tmpdir(), 'mlb-crash-'));
  codexHome = join(root, 'codex');
  claudeDir = join(root, 'claude');
  const bin = join(root, 'bin');
  await Promise.all([mkdir(codexHome), mkdir(claudeDir), mkdir(bin)]);
  // Codex's locks need flock(1) or perl; the PATH has no browser opener.
  for (const tool of ['flock', 'perl']) {
    const found = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, tool)).find((p) => existsSync(p));
    if (found) await symlink(found, join(bin, tool));
  }
  await writeCodexConfig(codexHome, [{ name: 'gm', url: mcp.url }]);
  await writeClaudeConfig(claudeDir, [{ name: 'mail', url: mcp.url }]);
  const config = join(root, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
      // The keychain, not the file fallback: the window under test is the keychain write's.
      store: 'keychain',
    }),
  );
  env = {
    ...process.env,
    ...keyring.env,
    MCP_LOGIN_BRIDGE_CONFIG: config,
    MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(root, 'runtime'),
    XDG_DATA_HOME: join(root, 'data'),
    PATH: bin,
    CODEX_HOME: codexHome,
    CLAUDE_CONFIG_DIR: claudeDir,
    CLAUDE_SECURESTORAGE_CONFIG_DIR: undefined,
  };
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  restoreEnv?.();
  await keyring?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** `login --no-browser`: the test plays the browser and pastes the callback. */
function startLogin(extraEnv: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [CLI_BIN, 'login', mcp.url, '--no-browser', '--json'], { env: { ...env, ...extraEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let found: (url: string) => void;
  const authorizeUrl = new Promise<string>((r) => (found = r));
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    const m = /Open this address to log in:\n\s+(\S+)/.exec(stderr);
    if (m) found(m[1]!);
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  const paste = async () => {
    const url = await authorizeUrl;
    const { callback } = await followToCallback(url, new URL(url).searchParams.get('redirect_uri')!);
    child.stdin.write(`${callback.href}\n`);
  };
  return { child, done, paste };
}

async function waitFor(path: string, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`${path} did not appear within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const readText = (path: string) => readFile(path, 'utf8');

describe('kill -9 between the keychain write and the client writes of a login', () => {
  it('leaves every store whole and a working refresh token in the keychain entry; the next login recovers', async () => {
    // A first login, written everywhere.
    const first = startLogin();
    await first.paste();
    const firstDone = await first.done;
    expect(firstDone.code, firstDone.stderr).toBe(0);
    const store = new BridgeStore();
    const before = (await store.read(mcp.url))!;
    expect(before.refreshToken).toBeTruthy();
    const codexBefore = await readText(join(codexHome, '.credentials.json'));
    const claudeBefore = await readText(join(claudeDir, '.credentials.json'));

    // The second login, killed inside the window.
    const marker = join(root, 'paused');
    const second = startLogin({ [PAUSE_ENV]: marker });
    await second.paste();
    await waitFor(marker, 60_000);
    const pid = Number((await readText(marker)).trim());
    expect(pid).toBe(second.child.pid);
    second.child.kill('SIGKILL');
    const killed = await second.done;
    expect(killed.signal).toBe('SIGKILL');

    // The keychain entry is the second login's, whole (it parses and validates), with its refresh token.
    const after = (await store.read(mcp.url))!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).toBeTruthy();
    // The clients' copies were not reached: each is exactly the first login's, whole.
    expect(await readText(join(codexHome, '.credentials.json'))).toBe(codexBefore);
    expect(await readText(join(claudeDir, '.credentials.json'))).toBe(claudeBefore);
    expect(() => JSON.parse(codexBefore)).not.toThrow();
    expect(() => JSON.parse(claudeBefore)).not.toThrow();

    // Never lost: the provider accepts the stored refresh token, and `token` hands out the stored access token.
    const refreshesBefore = provider.stats.refreshRequests;
    const refreshed = await refreshCredential(after);
    expect(refreshed.accessToken).toBeTruthy();
    expect(provider.stats.refreshRequests).toBe(refreshesBefore + 1);
    const token = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_BIN, 'token', mcp.url], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(token.code).toBe(0);
    expect(token.stdout.trim()).toBe(after.accessToken);

    // The killed process left its refresh lock behind; a later login waits it out as stale and writes everywhere.
    const third = startLogin();
    await third.paste();
    const thirdDone = await third.done;
    expect(thirdDone.code, thirdDone.stderr).toBe(0);
    const final = (await store.read(mcp.url))!;
    expect(await readText(join(codexHome, '.credentials.json'))).not.toBe(codexBefore);
    expect(await readText(join(codexHome, '.credentials.json'))).toContain(final.accessToken);
  }, 180_000);
});

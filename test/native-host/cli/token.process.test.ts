/**
 * `mcp-login-bridge token` under concurrency: many processes asking at once for an expired
 * credential refresh it once between them (a rotating provider would otherwise revoke the whole
 * grant when the second process reuses the old refresh token).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientLogins } from '../../../native-host/clients/client-logins';
import { ClaudeCodeAdapter } from '../../../native-host/clients/claude-code/claude-code-adapter';
import { CodexAdapter } from '../../../native-host/clients/codex/codex-adapter';
import { refreshCredential } from '../../../native-host/oauth/refresh';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { ClaudeCodeStore } from '../../../native-host/clients/claude-code/claude-code-store';
import { CodexStore } from '../../../native-host/clients/codex/codex-store';
import { codexStoreKey, sha256Hex } from '../../../native-host/clients/codex/store-key';
import type { StoredCredential } from '../../../native-host/stores/credential';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import { LoginService } from '../../../native-host/oauth/login-service';
import { parseConfig } from '../../../native-host/config';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { CLI_BIN, assertHostBuilt } from '../../helpers/native-client';
import { followToCallback } from '../../helpers/redirect-follower';
import { writeCodexConfig, writeClaudeConfig } from '../../helpers/credentials';

// 50 token helpers asking at once, as a client starting many MCP sessions does.
const PROCESSES = 50;

let keyring: KeyringHarness;
let restoreEnv: () => void;
let env: NodeJS.ProcessEnv;
const listener = new LoopbackListener();
const started: { close(): Promise<void> }[] = [];
const tempDirs: string[] = [];

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  // 50 processes starting at once can starve the in-process provider on a 2-core machine; the
  // refresher must wait for it rather than time out (the bound is the user's knob for slow networks).
  env = { ...process.env, ...keyring.env, MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: '60000' };
});
afterAll(async () => {
  await listener.close();
  for (const s of started.reverse()) await s.close();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
  restoreEnv?.();
  await keyring?.stop();
});

/** A provider, its MCP server, and a stored login for it (made in-process, straight into the keyring). */
async function loggedIn(rotate: boolean, clients?: (mcpUrl: string) => Promise<ClientLogins>): Promise<{ provider: GoogleLikeProvider; mcp: McpServerFixture; store: BridgeStore }> {
  const provider = await startGoogleLikeProvider({ rotateRefreshTokens: rotate });
  started.push(provider);
  const mcp = await startMcpServer({ issuer: provider.issuer });
  started.push(mcp);
  const config = parseConfig(
    {
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
    },
    'test',
  );
  const store = new BridgeStore();
  const login = new LoginService({ loadConfig: async () => config, store, redirectUri: () => listener.redirectUri(), ...(clients ? { clients: await clients(mcp.url) } : {}) });
  const begun = await login.begin(mcp.url);
  const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
  expect((await login.complete(callback.href)).refreshCapable).toBe(true);
  return { provider, mcp, store };
}

async function expire(store: BridgeStore, url: string): Promise<void> {
  const c = (await store.read(url))!;
  await store.write({ ...c, expiresAt: Date.now() - 1000 });
}

function token(url: string, ...options: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return tokenWith({}, url, ...options);
}

function tokenWith(
  run: { env?: NodeJS.ProcessEnv; cwd?: string },
  url: string,
  ...options: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, 'token', url, ...options], { env: run.env ?? env, cwd: run.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('token under concurrency', () => {
  it(`${PROCESSES} processes on an expired credential: one refresh, one token for all`, async () => {
    const { provider, mcp, store } = await loggedIn(false);
    await expire(store, mcp.url);
    const before = provider.stats.refreshRequests;
    const results = await Promise.all(Array.from({ length: PROCESSES }, () => token(mcp.url)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(new Set(results.map((r) => r.stdout.trim())).size).toBe(1);
    expect(provider.stats.refreshRequests - before).toBe(1);
    expect((await store.read(mcp.url))!.accessToken).toBe(results[0]!.stdout.trim());
  });

  it('with a rotating provider, concurrent processes leave a refresh token that still works', async () => {
    const { provider, mcp, store } = await loggedIn(true);
    await expire(store, mcp.url);
    const original = (await store.read(mcp.url))!.refreshToken;
    const results = await Promise.all(Array.from({ length: PROCESSES }, () => token(mcp.url)));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const rotated = (await store.read(mcp.url))!;
    expect(rotated.refreshToken).not.toBe(original);
    expect(rotated.loginNeeded).toBeUndefined();
    // The family is intact: the stored (rotated) token refreshes again.
    await expire(store, mcp.url);
    const again = await token(mcp.url);
    expect(again.code, again.stderr).toBe(0);
    expect(provider.stats.refreshRequests).toBeGreaterThanOrEqual(2);
  });

  it('--headers prints the JSON object a headers helper expects', async () => {
    const { mcp, store } = await loggedIn(false);
    const r = await token(mcp.url, '--headers');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ Authorization: `Bearer ${(await store.read(mcp.url))!.accessToken}` });
    expect((await token(mcp.url, '--headers', '--json')).code).toBe(2);
  });
});

/**
 * A Codex home (file store, so its bytes can be compared) and a Claude Code config dir, both with
 * the server configured as "mock"; logins made with `clients` land in both, as a real login does.
 */
async function clientHomes() {
  const root = await mkdtemp(join(tmpdir(), 'mlb-token-clients-'));
  tempDirs.push(root);
  const codexHome = join(root, 'codex');
  const claudeDir = join(root, 'claude');
  await mkdir(codexHome, { recursive: true });
  await mkdir(claudeDir, { recursive: true });
  const claudeEnv = { HOME: claudeDir, CLAUDE_CONFIG_DIR: claudeDir };
  const codex = new CodexStore({ home: codexHome });
  const claude = new ClaudeCodeStore({ env: claudeEnv, platform: 'linux' });
  let url = '';
  const clients = async (mcpUrl: string) => {
    url = mcpUrl;
    await writeCodexConfig(codexHome, [{ name: 'mock', url: mcpUrl }]);
    await writeClaudeConfig(claudeDir, [{ name: 'mock', url: mcpUrl }]);
    return new ClientLogins({ adapters: [new CodexAdapter({ store: codex }), new ClaudeCodeAdapter({ store: claude, env: claudeEnv, projectDir: claudeDir })] });
  };
  const codexServer = () => ({ name: 'mock', url });
  const claudeServer = () => ({ name: 'mock', type: 'http', url });
  return {
    codexHome,
    claudeDir,
    codex,
    claude,
    clients,
    codexCopy: async () => (await codex.read(codexServer()))!.credential,
    claudeCopy: async () => (await claude.read(claudeServer()))!.credential,
    writeCodex: (c: StoredCredential) => codex.write(codexServer(), c),
    files: async () => ({
      codex: await readFile(join(codexHome, '.credentials.json')),
      claude: await readFile(join(claudeDir, '.credentials.json')),
      codexStat: await stat(join(codexHome, '.credentials.json')),
      claudeStat: await stat(join(claudeDir, '.credentials.json')),
    }),
    codexLockFile: () => join(codexHome, 'mcp-oauth-locks', `${sha256Hex(codexStoreKey('mock', url))}.lock`),
    /** How `token` runs as the clients' headers helper: it sees their homes. */
    run: { env: { ...env, CODEX_HOME: codexHome, CLAUDE_CONFIG_DIR: claudeDir }, cwd: claudeDir },
  };
}

async function setExpiry(store: BridgeStore, url: string, expiresAt: number): Promise<StoredCredential> {
  const c = (await store.read(url))!;
  await store.write({ ...c, expiresAt });
  return (await store.read(url))!;
}

describe('token and the clients\' copies (rotating provider with reuse detection)', () => {
  it('Codex refreshed first and its access token is still valid: ours adopts it, with no refresh and no reuse', async () => {
    const homes = await clientHomes();
    const { provider, mcp, store } = await loggedIn(true, homes.clients);
    const original = (await store.read(mcp.url))!;
    // Codex refreshes by itself (as it does 30 s before expiry): the provider rotates, our token is spent.
    const byCodex = await refreshCredential(original);
    expect(byCodex.refreshToken).not.toBe(original.refreshToken);
    await homes.writeCodex(byCodex);
    await setExpiry(store, mcp.url, Date.now() - 60_000);
    const refreshesBefore = provider.stats.refreshRequests;

    const r = await tokenWith(homes.run, mcp.url);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(byCodex.accessToken);
    expect(provider.stats.refreshRequests).toBe(refreshesBefore);
    expect(provider.stats.refreshTokenReuses).toBe(0);
    const ours = (await store.read(mcp.url))!;
    expect(ours).toMatchObject({ refreshToken: byCodex.refreshToken, accessToken: byCodex.accessToken, expiresAt: byCodex.expiresAt });
    // Claude Code still held the spent token: it gets the live one before it refreshes with it.
    expect((await homes.claudeCopy()).refreshToken).toBe(byCodex.refreshToken);
    expect(r.stderr).toBe('');
  });

  it('Codex refreshed first and its access token has expired too: ours refreshes from Codex\'s token, and the family keeps working', async () => {
    const homes = await clientHomes();
    const { provider, mcp, store } = await loggedIn(true, homes.clients);
    const original = (await store.read(mcp.url))!;
    const byCodex = await refreshCredential(original);
    // Both due now; Codex's later (it refreshed after our last refresh).
    await homes.writeCodex({ ...byCodex, expiresAt: Date.now() - 1_000 });
    await setExpiry(store, mcp.url, Date.now() - 60_000);
    const refreshesBefore = provider.stats.refreshRequests;

    const r = await tokenWith(homes.run, mcp.url);
    expect(r.code, r.stderr).toBe(0);
    expect(provider.stats.refreshRequests).toBe(refreshesBefore + 1);
    expect(provider.stats.refreshTokenReuses).toBe(0);
    expect(provider.stats.grantsRevoked).toBe(0);
    const ours = (await store.read(mcp.url))!;
    expect(r.stdout.trim()).toBe(ours.accessToken);
    expect(ours.refreshToken).not.toBe(original.refreshToken);
    expect(ours.refreshToken).not.toBe(byCodex.refreshToken);
    expect(ours.loginNeeded).toBeUndefined();
    // Both clients now hold the live token (Codex's was the one refreshed from, Claude's was older).
    expect((await homes.codexCopy()).refreshToken).toBe(ours.refreshToken);
    expect((await homes.claudeCopy()).refreshToken).toBe(ours.refreshToken);

    // The family still works: another refresh through us, then one from Codex's copy.
    await setExpiry(store, mcp.url, Date.now() - 60_000);
    const again = await tokenWith(homes.run, mcp.url);
    expect(again.code, again.stderr).toBe(0);
    const latest = (await store.read(mcp.url))!;
    expect((await homes.codexCopy()).refreshToken).toBe(latest.refreshToken);
    await expect(refreshCredential(latest)).resolves.toMatchObject({ serverUrl: mcp.url });
    expect(provider.stats.refreshTokenReuses).toBe(0);
    expect(provider.stats.grantsRevoked).toBe(0);
  });

  it('our refresh rotates: Codex\'s and Claude Code\'s copies get the new refresh token, in their formats, other entries kept', async () => {
    const homes = await clientHomes();
    const { provider, mcp, store } = await loggedIn(true, homes.clients);
    const claudeFile = join(homes.claudeDir, '.credentials.json');
    const claudeDoc = JSON.parse(await readFile(claudeFile, 'utf8'));
    claudeDoc.claudeAiOauth = { keep: 'me' };
    await writeFile(claudeFile, JSON.stringify(claudeDoc), { mode: 0o600 });
    // The same server in Claude's user scope and in this project's local scope (what `claude mcp
    // add` makes by default): one entry, one lock — taken once, not waited on by ourselves.
    const claudeConfig = join(homes.claudeDir, '.claude.json');
    const config = JSON.parse(await readFile(claudeConfig, 'utf8'));
    config.projects = { [homes.claudeDir]: { mcpServers: { mock: config.mcpServers.mock } } };
    await writeFile(claudeConfig, JSON.stringify(config));
    const original = await setExpiry(store, mcp.url, Date.now() - 60_000);

    const r = await tokenWith(homes.run, mcp.url);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const ours = (await store.read(mcp.url))!;
    expect(ours.refreshToken).not.toBe(original.refreshToken);
    const codexCopy = await homes.codexCopy();
    expect(codexCopy).toMatchObject({ refreshToken: ours.refreshToken, accessToken: ours.accessToken, expiresAt: ours.expiresAt, issuer: provider.issuer, clientId: provider.clientId });
    const claudeCopy = await homes.claudeCopy();
    expect(claudeCopy).toMatchObject({ refreshToken: ours.refreshToken, accessToken: ours.accessToken, expiresAt: ours.expiresAt, issuer: provider.issuer });
    const after = JSON.parse(await readFile(claudeFile, 'utf8'));
    expect(after.claudeAiOauth).toEqual({ keep: 'me' });
    const key = Object.keys(after.mcpOAuth)[0]!;
    expect(after.mcpOAuth[key].discoveryState).toEqual(claudeDoc.mcpOAuth[key].discoveryState);
    // What Codex now holds refreshes without tripping reuse detection.
    await expect(refreshCredential({ ...ours, refreshToken: codexCopy.refreshToken! })).resolves.toBeTruthy();
    expect(provider.stats.refreshTokenReuses).toBe(0);
  });

  it('a provider that does not rotate (Google): the copies are checked under their locks but not rewritten', async () => {
    const homes = await clientHomes();
    const { provider, mcp, store } = await loggedIn(false, homes.clients);
    const before = await homes.files();
    await rm(join(homes.codexHome, 'mcp-oauth-locks'), { recursive: true, force: true });
    const original = await setExpiry(store, mcp.url, Date.now() - 60_000);
    const refreshesBefore = provider.stats.refreshRequests;

    const r = await tokenWith(homes.run, mcp.url);
    expect(r.code, r.stderr).toBe(0);
    expect(provider.stats.refreshRequests).toBe(refreshesBefore + 1);
    const ours = (await store.read(mcp.url))!;
    expect(ours.refreshToken).toBe(original.refreshToken);
    expect(ours.accessToken).not.toBe(original.accessToken);
    // The Codex copy was looked at under Codex's lock (its lock file is back)…
    await expect(stat(homes.codexLockFile())).resolves.toBeTruthy();
    // …and neither file was written: same bytes, same inode, same mtime.
    const after = await homes.files();
    expect(after.codex.equals(before.codex)).toBe(true);
    expect(after.claude.equals(before.claude)).toBe(true);
    expect([after.codexStat.ino, after.codexStat.mtimeMs]).toEqual([before.codexStat.ino, before.codexStat.mtimeMs]);
    expect([after.claudeStat.ino, after.claudeStat.mtimeMs]).toEqual([before.claudeStat.ino, before.claudeStat.mtimeMs]);
    expect(r.stderr).toBe('');
  });
});

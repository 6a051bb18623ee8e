/**
 * One login, four clients, a provider that rotates refresh tokens with reuse detection (README
 * "Providers that rotate refresh tokens"). Codex, Claude Code, Gemini CLI and mcp-remote (under
 * Cursor) are configured for one MCP server in one private home; ONE real `mcp-login-bridge login
 * <url> --no-browser` writes all four stores. Then each real client refreshes by itself in turn,
 * with our real `token` run between (ours due, as when a headers helper or `connect` asks): `token`
 * adopts the client's newer login and hands its refresh token to the other three, so the next
 * client starts from the live token. The provider never sees a spent refresh token and every client
 * still connects at the end.
 *
 * What the rules cannot do is shown too: two clients refreshing by themselves with no `token` run
 * between present the same refresh token twice, and the provider revokes the login for everyone.
 * That is why the README tells users of a rotating provider to let at most one client refresh by
 * itself and have the others ask `token`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientAdapter, ClientName, ConfiguredServer } from '../../../native-host/clients/client-adapter';
import { clientAdapters } from '../../../native-host/clients/registry';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { CLIENT_NAMES } from '../../../shared/protocol';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { bridgeLogin, bridgeToken } from '../../helpers/bridge-cli';
import { assertClaudeInstalled, claudeMcpList, claudeVars } from '../../helpers/claude-cli';
import { assertCodexInstalled, codexConnect, run } from '../../helpers/codex-cli';
import { assertGeminiInstalled, geminiEnv, geminiMcpList, setUpGemini } from '../../helpers/gemini-cli';
import { assertMcpRemoteInstalled, browserCalls, listToolsThroughMcpRemote, world as mcpRemoteWorld, type World as McpRemoteWorld } from '../../helpers/mcp-remote-cli';
import { assertHostBuilt, CLI_BIN } from '../../helpers/native-client';
import { writeCodexConfig, writeClaudeConfig } from '../../helpers/credentials';

// Four real clients, each started a few times (Gemini alone loads a 70 MB bundle per run).
const RUN_MS = 150_000;

let keyring: KeyringHarness;
let restoreEnv: () => void;
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let root: string;

beforeAll(async () => {
  assertHostBuilt();
  assertCodexInstalled();
  assertClaudeInstalled();
  assertGeminiInstalled();
  assertMcpRemoteInstalled();
  // Before any keyring call of this process: libdbus keeps the first bus address it sees.
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  // Dynamic registration gives a public client, which every client refreshes with the stored
  // client id alone. Access tokens outlive Gemini's 5-minute refresh buffer (below it, Gemini
  // refreshes on every request).
  provider = await startGoogleLikeProvider({ registration: true, rotateRefreshTokens: true, accessTokenTtlSeconds: 600 });
  mcp = await startMcpServer({ issuer: provider.issuer });
  root = await mkdtemp(join(tmpdir(), 'mlb-four-clients-'));
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  if (root) await rm(root, { recursive: true, force: true });
  restoreEnv?.();
  await keyring?.stop();
});

interface Home {
  home: string;
  project: string;
  /** The bridge CLI's and the clients' environment: one HOME, each client's config dir in it. */
  env: NodeJS.ProcessEnv;
  cursor: McpRemoteWorld;
  /** The registered adapters pointed at this home, and the one server each has configured. */
  clients: Map<ClientName, { adapter: ClientAdapter; server: ConfiguredServer }>;
}

/**
 * One private home with all four clients configured for the fixture server under the name `mock`;
 * with `helpers`, Codex and Claude Code also ask `mcp-login-bridge token` through their headers helper.
 */
async function fourClients(name: string, options: { helpers?: boolean } = {}): Promise<Home> {
  // Cursor's ~/.cursor/mcp.json launching mcp-remote, browser stand-ins that record any call.
  const cursor = await mcpRemoteWorld(root, name, [mcp.url]);
  const { home } = cursor;
  const project = join(home, 'project');
  await setUpGemini(home, project, { mock: { httpUrl: mcp.url } });
  await mkdir(join(home, 'codex'), { recursive: true });
  // Codex runs its helper in a shell with a minimal environment (no D-Bus address): the command names the test's bus.
  const helper = `DBUS_SESSION_BUS_ADDRESS='${keyring.env.DBUS_SESSION_BUS_ADDRESS}' ${[process.execPath, CLI_BIN, 'token', mcp.url, '--headers'].map((a) => `'${a}'`).join(' ')}`;
  const server = { name: 'mock', url: mcp.url, ...(options.helpers ? { headersHelper: helper } : {}) };
  await writeCodexConfig(join(home, 'codex'), [server]);
  await writeClaudeConfig(home, [server]);
  const config = join(home, 'bridge-config.json');
  await writeFile(config, JSON.stringify({ rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }] }));
  const env = geminiEnv(home, {
    ...claudeVars(home),
    ...cursor.env,
    ...keyring.env,
    CODEX_HOME: join(home, 'codex'),
    MCP_LOGIN_BRIDGE_CONFIG: config,
    MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(home, 'runtime'),
    XDG_DATA_HOME: join(home, 'data'),
  });
  const clients = new Map<ClientName, { adapter: ClientAdapter; server: ConfiguredServer }>();
  for (const adapter of clientAdapters({ env, projectDir: project, platform: 'linux' })) {
    const found = await adapter.discover();
    expect(found.problems, adapter.label).toEqual([]);
    const server = found.servers.find((s) => s.url === mcp.url);
    expect(server, `${adapter.label} has the server configured`).toBeDefined();
    clients.set(adapter.id, { adapter, server: server! });
  }
  return { home, project, env, cursor, clients };
}

async function ours(url = mcp.url) {
  return (await new BridgeStore().read(url))!;
}

/** Makes our own entry due, so the next `token` reads the clients' copies (a valid one reads none). */
async function expireOurs(): Promise<void> {
  await new BridgeStore().write({ ...(await ours()), expiresAt: Date.now() - 60_000 });
}

async function copyOf(h: Home, client: ClientName) {
  const { adapter, server } = h.clients.get(client)!;
  return adapter.read(server);
}

async function refreshTokens(h: Home): Promise<Record<ClientName, string | undefined>> {
  const entries = await Promise.all(CLIENT_NAMES.map(async (c) => [c, (await copyOf(h, c))?.refreshToken] as const));
  return Object.fromEntries(entries) as Record<ClientName, string | undefined>;
}

/** Moves one client's copy past its expiry (tokens unchanged, under its lock), so it refreshes when it next connects. */
async function expireCopy(h: Home, client: ClientName): Promise<void> {
  const { adapter, server } = h.clients.get(client)!;
  const base = await ours();
  await adapter.withLock(server, async (held) => {
    const entry = (await held.read())!;
    await held.updateTokens({ ...base, accessToken: entry.accessToken!, refreshToken: entry.refreshToken!, expiresAt: Date.now() - 60_000 });
  });
}

/** The real client connects to the server (loading, refreshing and rewriting its stored login as a session would). */
async function connect(h: Home, client: ClientName): Promise<void> {
  switch (client) {
    case 'codex': {
      const status = await codexConnect(h.env, 'mock', 45_000);
      expect(status.toolsError, 'Codex lists the tools').toBeNull();
      expect(Object.keys(status.tools)).toContain('whoami');
      return;
    }
    case 'claude-code':
      expect(await claudeMcpList(h.env, h.project)).toContain(`mock: ${mcp.url} (HTTP) - ✔ Connected`);
      return;
    case 'gemini-cli':
      expect(await geminiMcpList(h.env, h.project)).toMatch(/✓ mock: \S+ \(http\) - Connected/);
      return;
    case 'mcp-remote':
      expect((await listToolsThroughMcpRemote(h.cursor, [mcp.url])).tools).toContain('whoami');
      return;
  }
}

function expectNoReuse(reusesBefore: number, revokedBefore: number): void {
  expect(provider.stats.refreshTokenReuses - reusesBefore, 'no spent refresh token reached the provider').toBe(0);
  expect(provider.stats.grantsRevoked - revokedBefore, 'no login was revoked').toBe(0);
}

describe('one login through mcp-login-bridge, four clients, a rotating provider', () => {
  it("writes all four; each client's own refresh reaches the others through `token`; nothing is presented twice", async () => {
    const h = await fourClients('rules');
    const reuses = provider.stats.refreshTokenReuses;
    const revoked = provider.stats.grantsRevoked;

    const { code, result, stderr } = await bridgeLogin(h.env, h.project, mcp.url);
    expect(code, stderr).toBe(0);
    for (const client of CLIENT_NAMES) expect(result.stored, client).toContainEqual(expect.objectContaining({ target: client, server: 'mock' }));
    const login = await ours();
    expect(login.refreshToken).toBeTruthy();
    for (const client of CLIENT_NAMES) {
      const copy = await copyOf(h, client);
      expect(copy, `${client} holds the login`).toMatchObject({ accessToken: login.accessToken, refreshToken: login.refreshToken, clientId: login.clientId });
    }

    // `token` refreshes by itself first (ours due, every copy holds the same token): the rotated
    // refresh token goes into all four copies.
    await expireOurs();
    let refreshes = provider.stats.refreshRequests;
    const first = await bridgeToken(h.env, h.project, mcp.url);
    expect(first.refreshed).toBe(true);
    expect(first.stderr).not.toMatch(/warning/i);
    expect(provider.stats.refreshRequests).toBe(refreshes + 1);
    let live = (await ours()).refreshToken!;
    expect(live).not.toBe(login.refreshToken);
    expect(await refreshTokens(h)).toEqual(Object.fromEntries(CLIENT_NAMES.map((c) => [c, live])));

    // Each client in turn refreshes by itself, then `token` runs (ours due) and carries the
    // client's rotated token to the other three before the next client refreshes.
    for (const client of CLIENT_NAMES) {
      await expireCopy(h, client);
      refreshes = provider.stats.refreshRequests;
      await connect(h, client);
      expect(provider.stats.refreshRequests, `${client} refreshed by itself`).toBe(refreshes + 1);
      const refreshed = (await copyOf(h, client))!;
      expect(refreshed.refreshToken, `the provider rotated ${client}'s refresh token`).not.toBe(live);

      await expireOurs();
      const token = await bridgeToken(h.env, h.project, mcp.url);
      expect(token.stderr).not.toMatch(/warning/i);
      // The client's copy is the newer one of the same login: its access token is used as is.
      expect(token.refreshed, `token adopted ${client}'s refresh`).toBe(false);
      expect(token.accessToken).toBe(refreshed.accessToken);
      expect(provider.stats.refreshRequests).toBe(refreshes + 1);
      live = refreshed.refreshToken!;
      expect((await ours()).refreshToken).toBe(live);
      expect(await refreshTokens(h), `after ${client}'s refresh every copy holds its token`).toEqual(Object.fromEntries(CLIENT_NAMES.map((c) => [c, live])));
      expectNoReuse(reuses, revoked);
    }

    // Every client still works with what it holds now.
    for (const client of CLIENT_NAMES) await connect(h, client);
    expectNoReuse(reuses, revoked);
    expect(await browserCalls(h.cursor), 'mcp-remote never opened a browser').toBe('');
  }, RUN_MS);

  it('cannot keep two clients that refresh by themselves apart when nothing runs `token` between: the provider revokes the login', async () => {
    const h = await fourClients('limit');
    const { code, stderr } = await bridgeLogin(h.env, h.project, mcp.url);
    expect(code, stderr).toBe(0);
    const reuses = provider.stats.refreshTokenReuses;
    const revoked = provider.stats.grantsRevoked;

    // Codex refreshes first and rotates the token; Claude Code still holds the one Codex spent.
    await expireCopy(h, 'codex');
    await expireCopy(h, 'claude-code');
    await connect(h, 'codex');
    expect(provider.stats.refreshTokenReuses).toBe(reuses);
    const claudeListed = await claudeMcpList(h.env, h.project);
    expect(claudeListed).not.toContain('✔ Connected');
    expect(provider.stats.refreshTokenReuses - reuses, 'Claude Code presented the refresh token Codex had spent').toBe(1);
    expect(provider.stats.grantsRevoked - revoked, 'reuse detection revoked the login, for Codex too').toBeGreaterThanOrEqual(1);
  }, RUN_MS);

  it('writes no copy for Codex and Claude Code when their headers helper asks `token`: then only `token` refreshes for them', async () => {
    // A stored copy next to the helper is loaded and refreshed by the real Codex and Claude Code as
    // well: a second refresher of the same login.
    const h = await fourClients('helpers', { helpers: true });
    const { code, result, stderr } = await bridgeLogin(h.env, h.project, mcp.url);
    expect(code, stderr).toBe(0);
    for (const client of ['codex', 'claude-code'] as const) {
      expect(result.stored, client).not.toContainEqual(expect.objectContaining({ target: client }));
      expect(result.notices).toContainEqual(expect.objectContaining({ target: client, kind: 'asks-token', server: 'mock' }));
      expect(await copyOf(h, client), `${client} holds no copy`).toBeUndefined();
    }
    for (const client of ['gemini-cli', 'mcp-remote'] as const) expect(result.stored).toContainEqual(expect.objectContaining({ target: client, server: 'mock' }));
    const reuses = provider.stats.refreshTokenReuses;
    const revoked = provider.stats.grantsRevoked;

    // Ours is due: Codex's helper runs `token`, which refreshes once; Codex stores nothing itself.
    await expireOurs();
    const refreshes = provider.stats.refreshRequests;
    await connect(h, 'codex');
    expect(provider.stats.refreshRequests, 'one refresh, by token').toBe(refreshes + 1);
    await connect(h, 'claude-code');
    expect(provider.stats.refreshRequests, "Claude Code's helper got our fresh token").toBe(refreshes + 1);
    for (const client of ['codex', 'claude-code'] as const) expect(await copyOf(h, client), `${client} stored nothing itself`).toBeUndefined();
    expectNoReuse(reuses, revoked);

    // status says why they hold no copy, rather than only "not logged in".
    const status = await run(process.execPath, [CLI_BIN, 'status', '--json'], h.env, 30_000, h.project);
    expect(status.code, status.stderr).toBe(0);
    const rows = (JSON.parse(status.stdout) as { clients: Array<{ client: string; server: string; reason?: string }> }).clients;
    expect(rows).toContainEqual(expect.objectContaining({ client: 'codex', server: 'mock', reason: expect.stringContaining('http_headers_helper') }));
    expect(rows).toContainEqual(expect.objectContaining({ client: 'claude-code', server: 'mock', reason: expect.stringContaining('headersHelper') }));
  }, RUN_MS);
});

/**
 * Interop with the real Codex CLI (npm @openai/codex 0.171.0): what we write is what Codex reads,
 * refreshes and rewrites, in the file store and in the keyring store (a real Secret Service from
 * the keyring harness), and a Codex refresh racing our write never loses a refresh token.
 * How Codex is made to connect is explained in test/helpers/codex-cli.ts.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientLogins } from '../../../../native-host/clients/client-logins';
import { CodexAdapter } from '../../../../native-host/clients/codex/codex-adapter';
import { codexUsability } from '../../../../native-host/clients/codex/codex-entry';
import { CODEX_KEYRING_SERVICE, CodexStore } from '../../../../native-host/clients/codex/codex-store';
import { codexStoreKey } from '../../../../native-host/clients/codex/store-key';
import type { StoredCredential } from '../../../../native-host/stores/credential';
import { BridgeStore } from '../../../../native-host/stores/bridge-store';
import { keyringList } from '../../../../native-host/stores/keyring-entry';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../../fixtures/mcp-server';
import { assertCodexInstalled, codexConnect, codexMcpList } from '../../../helpers/codex-cli';
import { loginToFixture } from '../../../helpers/fixture-login';
import { assertHostBuilt, CLI_BIN } from '../../../helpers/native-client';

let keyring: KeyringHarness;
let restoreEnv: () => void;
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
const homes: string[] = [];

beforeAll(async () => {
  assertCodexInstalled();
  // Before any keyring call of this process: libdbus keeps the first bus address it sees.
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  provider = await startGoogleLikeProvider({ registration: true });
  mcp = await startMcpServer({ issuer: provider.issuer });
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  for (const home of homes) await rm(home, { recursive: true, force: true });
  restoreEnv?.();
  await keyring?.stop();
});

type StoreMode = 'file' | 'keyring' | 'auto';

async function codexHome(mode: StoreMode) {
  const home = await mkdtemp(join(tmpdir(), 'mlb-codex-interop-'));
  homes.push(home);
  await writeFile(join(home, 'config.toml'), `mcp_oauth_credentials_store = "${mode}"\n\n[mcp_servers.mock]\nurl = "${mcp.url}"\n`);
  const env = { ...process.env, ...keyring.env, CODEX_HOME: home };
  const store = new CodexStore({ home });
  const clients = new ClientLogins({ adapters: [new CodexAdapter({ store })] });
  return { home, env, store, clients, server: { name: 'mock', url: mcp.url } };
}

function expired(credential: StoredCredential): StoredCredential {
  return { ...credential, expiresAt: Date.now() - 60_000 };
}

async function authStatus(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return (await codexMcpList(env)).find((s) => s.name === 'mock')?.auth_status;
}

describe.each(['file', 'keyring'] as const)('Codex %s store', (mode) => {
  it('reads our expired login as logged in, refreshes it with our refresh token, and leaves it refresh-capable', async () => {
    const { home, env, store, clients, server } = await codexHome(mode);
    // The host's own login path writes the Codex entry (LoginService with the client targets)…
    const login = await loginToFixture(provider, mcp.url, { clients });
    const fresh = await store.read(server);
    expect(fresh).toMatchObject({ store: mode, credential: { refreshToken: login.refreshToken, issuer: provider.issuer } });
    expect(await authStatus(env)).toBe('o_auth');
    // …then time passes: the access token has expired when Codex next starts.
    await store.write(server, expired(login));
    expect(await authStatus(env)).toBe('o_auth');

    const refreshesBefore = provider.stats.refreshRequests;
    const status = await codexConnect(env, 'mock');
    expect(status.toolsError).toBeNull();
    expect(Object.keys(status.tools)).toContain('whoami');
    expect(provider.stats.refreshRequests).toBe(refreshesBefore + 1);

    const after = await store.read(server);
    expect(after?.store).toBe(mode);
    expect(after?.credential.accessToken).not.toBe(login.accessToken);
    expect(after?.credential.refreshToken).toBe(login.refreshToken); // Google-like: not rotated, kept
    expect(after?.credential.issuer).toBe(provider.issuer);
    expect(after?.credential.expiresAt).toBeGreaterThan(Date.now());
    expect(codexUsability(after!.credential, Date.now())).toMatchObject({ loggedIn: true, refreshCapable: true });

    if (mode === 'file') {
      expect((await stat(join(home, '.credentials.json'))).mode & 0o777).toBe(0o600);
    } else {
      await expect(stat(join(home, '.credentials.json'))).rejects.toMatchObject({ code: 'ENOENT' });
      // Codex rewrote the very item we wrote (same attributes), not a second one next to it.
      const items = (await keyringList(CODEX_KEYRING_SERVICE)).filter((i) => i.account === codexStoreKey('mock', mcp.url));
      expect(items).toHaveLength(1);
    }
  });
});

describe('Codex auto store', () => {
  it('writes the keychain when it is reachable and removes the file entry it would hide', async () => {
    const { home, env, store, server } = await codexHome('auto');
    const key = codexStoreKey('mock', mcp.url);
    const stale = { server_name: 'mock', server_url: mcp.url, client_id: 'old', access_token: 'old', expires_at: 1 };
    await writeFile(join(home, '.credentials.json'), JSON.stringify({ [key]: stale, 'other|0000000000000000': { keep: true } }), { mode: 0o600 });
    const login = await loginToFixture(provider, mcp.url);
    expect((await store.write(server, expired(login))).store).toBe('keyring');
    expect(JSON.parse(await readFile(join(home, '.credentials.json'), 'utf8'))).toEqual({ 'other|0000000000000000': { keep: true } });
    expect(await authStatus(env)).toBe('o_auth');
  });

  it('shows why the issuer is mandatory: without it Codex reports an expired login as not logged in', async () => {
    const { home, env } = await codexHome('file');
    const login = await loginToFixture(provider, mcp.url);
    const entry = { server_name: 'mock', server_url: mcp.url, client_id: login.clientId, access_token: login.accessToken, expires_at: Date.now() - 60_000, refresh_token: login.refreshToken, scopes: [] };
    await writeFile(join(home, '.credentials.json'), JSON.stringify({ [codexStoreKey('mock', mcp.url)]: entry }), { mode: 0o600 });
    expect(await authStatus(env)).toBe('not_logged_in');
  });
});

describe('a Codex refresh racing our write', () => {
  it('waits for Codex to finish its refresh, then writes: the newer login and its refresh token survive', async () => {
    const { env, store, server } = await codexHome('file');
    const older = await loginToFixture(provider, mcp.url);
    await store.write(server, expired(older));
    const newer = await loginToFixture(provider, mcp.url);
    expect(newer.refreshToken).not.toBe(older.refreshToken);

    // Hold Codex's refresh at the token endpoint: Codex now holds its per-server lock.
    let refreshArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (refreshArrived = resolve));
    let releaseRefresh!: () => void;
    const released = new Promise<void>((resolve) => (releaseRefresh = resolve));
    provider.setTokenGate(() => (refreshArrived(), released));
    try {
      const connecting = codexConnect(env, 'mock');
      await arrived;
      let writeDone = false;
      const writing = store.write(server, newer).then(() => void (writeDone = true));
      await new Promise((r) => setTimeout(r, 500));
      expect(writeDone).toBe(false); // blocked on Codex's lock, not overwritten by Codex afterwards
      provider.setTokenGate(undefined);
      releaseRefresh();
      const status = await connecting;
      await writing;
      expect(status.toolsError).toBeNull();
    } finally {
      provider.setTokenGate(undefined);
      releaseRefresh();
    }
    const final = await store.read(server);
    expect(final?.credential.refreshToken).toBe(newer.refreshToken);
    expect(final?.credential.accessToken).toBe(newer.accessToken);
    expect(await authStatus(env)).toBe('o_auth');
  });
});

describe('Codex http_headers_helper with mcp-login-bridge token --headers', () => {
  it('connects with the header our token command prints, refreshing our own expired entry first', async () => {
    assertHostBuilt();
    const { home, env } = await codexHome('file');
    // Measured on Codex 0.171.0: a string run by a shell, with CODEX_HOME as its working directory
    // and a minimal environment (HOME, PATH, SHELL, LANG, TERM, CA bundle variables: no D-Bus
    // address, no server name or URL); stdout must be a JSON object of header names to values.
    // On a desktop the host finds the user's bus at /run/user/<uid>/bus by itself; this test's
    // private bus lives elsewhere, so the command names it.
    const helper = `DBUS_SESSION_BUS_ADDRESS='${keyring.env.DBUS_SESSION_BUS_ADDRESS}' ${[process.execPath, CLI_BIN, 'token', mcp.url, '--headers'].map((a) => `'${a}'`).join(' ')}`;
    await writeFile(join(home, 'config.toml'), `mcp_oauth_credentials_store = "file"\n\n[mcp_servers.viahelper]\nurl = "${mcp.url}"\nhttp_headers_helper = ${JSON.stringify(helper)}\n`);
    const login = await loginToFixture(provider, mcp.url);
    await new BridgeStore().write(expired(login));
    const refreshesBefore = provider.stats.refreshRequests;
    const status = await codexConnect(env, 'viahelper');
    expect(status.toolsError).toBeNull();
    expect(Object.keys(status.tools)).toContain('whoami');
    expect(provider.stats.refreshRequests).toBe(refreshesBefore + 1);
    await expect(stat(join(home, '.credentials.json'))).rejects.toMatchObject({ code: 'ENOENT' }); // Codex stored nothing itself
  });
});

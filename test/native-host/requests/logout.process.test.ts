/**
 * The host's `logout` request (the popup's "Log out"), as the extension sends it, against a real
 * keyring and the Google-like provider: the bridge's entry is removed and the login revoked at
 * the provider by the same code as `mcp-login-bridge logout`; a bad request or a server with no
 * login is an error that names the field or the server, and nothing is removed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { parseConfig } from '../../../native-host/config';
import { createHostContext, type HostContext } from '../../../native-host/host-context';
import { LoginService } from '../../../native-host/oauth/login-service';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import { refreshCredential } from '../../../native-host/oauth/refresh';
import { respond } from '../../../native-host/requests/dispatch';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { followToCallback } from '../../helpers/redirect-follower';

let keyring: KeyringHarness;
let restoreEnv: () => void;
let home: string;
const saved: Record<string, string | undefined> = {};
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let ctx: HostContext;
const listener = new LoopbackListener();
const store = new BridgeStore();

beforeAll(async () => {
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  // A home of its own: the clients' configs of the machine's user are not read (or written).
  home = await mkdtemp(join(tmpdir(), 'mlb-logout-request-'));
  for (const [k, v] of Object.entries({ HOME: home, CODEX_HOME: join(home, '.codex'), CLAUDE_CONFIG_DIR: join(home, '.claude') })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
  ctx = createHostContext({ store, clients: false });
});
afterAll(async () => {
  await ctx?.close();
  await listener.close();
  await mcp?.close();
  await provider?.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  restoreEnv?.();
  await keyring?.stop();
  await rm(home, { recursive: true, force: true });
});

async function logIn(): Promise<void> {
  const config = parseConfig(
    {
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
    },
    'test',
  );
  const login = new LoginService({ loadConfig: async () => config, store, redirectUri: () => listener.redirectUri() });
  const begun = await login.begin(mcp.url);
  const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
  expect((await login.complete(callback.href)).refreshCapable).toBe(true);
}

describe('logout request', () => {
  it('removes the bridge entry and revokes the login at the provider; says so, and no secret', async () => {
    await logIn();
    const before = (await store.read(mcp.url))!;
    const response = await respond(ctx, { id: 'l1', type: 'logout', serverUrl: mcp.url });
    expect(response).toEqual({
      id: 'l1',
      ok: true,
      data: {
        serverUrl: mcp.url,
        removed: [{ target: 'bridge', location: store.describe() }],
        revocation: { status: 'revoked', tokens: expect.arrayContaining(['refresh_token']), notRevocable: expect.any(Array) },
      },
    });
    expect(JSON.stringify(response)).not.toContain(before.refreshToken!);
    expect(JSON.stringify(response)).not.toContain(before.accessToken);
    expect(await store.read(mcp.url)).toBeUndefined();
    // Revoked for real: the provider no longer takes the refresh token.
    await expect(refreshCredential(before)).rejects.toMatchObject({ code: ErrorCode.LoginNeeded });

    // Again: there is nothing left to log out of.
    const again = await respond(ctx, { id: 'l2', type: 'logout', serverUrl: mcp.url });
    expect(again).toMatchObject({ id: 'l2', ok: false, error: { code: ErrorCode.NotLoggedIn, name: 'NotLoggedIn', message: expect.stringContaining(`not logged in to ${mcp.url}`) } });
  });

  it('refuses a request without a usable serverUrl, naming the field, and removes nothing', async () => {
    await logIn();
    for (const serverUrl of [undefined, '', 'not a url', 'file:///etc/passwd', 7]) {
      const response = await respond(ctx, { id: 'bad', type: 'logout', serverUrl });
      expect(response).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidField, message: expect.stringContaining('"serverUrl"') } });
    }
    expect(await store.read(mcp.url)).toBeDefined();
  });
});

/**
 * `mcp-login-bridge logout`: the real CLI against the Google-like provider (which offers RFC 7009
 * revocation): the provider stops honouring the refresh token, and the keychain entry is gone.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { parseConfig } from '../../../native-host/config';
import { LoginService } from '../../../native-host/oauth/login-service';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import { refreshCredential } from '../../../native-host/oauth/refresh';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { CLI_BIN, assertHostBuilt } from '../../helpers/native-client';
import { followToCallback } from '../../helpers/redirect-follower';

let keyring: KeyringHarness;
let restoreEnv: () => void;
let env: NodeJS.ProcessEnv;
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
const listener = new LoopbackListener();
const store = () => new BridgeStore();

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  env = { ...process.env, ...keyring.env };
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
});
afterAll(async () => {
  await listener.close();
  await mcp?.close();
  await provider?.close();
  restoreEnv?.();
  await keyring?.stop();
});

async function logIn(): Promise<void> {
  const config = parseConfig(
    {
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
    },
    'test',
  );
  const login = new LoginService({ loadConfig: async () => config, store: store(), redirectUri: () => listener.redirectUri() });
  const begun = await login.begin(mcp.url);
  const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
  expect((await login.complete(callback.href)).refreshCapable).toBe(true);
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('logout', () => {
  it('revokes at the provider (RFC 7009), removes the entry, and says so without a token', async () => {
    await logIn();
    const before = (await store().read(mcp.url))!;
    const r = await cli(['logout', mcp.url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out, JSON.stringify(out.revocation)).toMatchObject({ ok: true, serverUrl: mcp.url, removed: [{ target: 'bridge' }], revocation: { status: 'revoked', tokens: ['refresh_token'] } });
    // The fixture's access tokens are JWTs, which it cannot revoke (unsupported_token_type).
    expect(out.revocation.notRevocable).toEqual(['access_token']);
    expect(r.stdout + r.stderr).not.toContain(before.refreshToken!);
    expect(await store().read(mcp.url)).toBeUndefined();
    // The provider no longer honours the refresh token.
    await expect(refreshCredential(before)).rejects.toMatchObject({ code: ErrorCode.LoginNeeded });

    const again = await cli(['logout', mcp.url]);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/not logged in/);
  });

  it('--no-revoke only forgets the local entry: the refresh token still works at the provider', async () => {
    await logIn();
    const before = (await store().read(mcp.url))!;
    const r = await cli(['logout', mcp.url, '--no-revoke']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('not revoked at the provider (--no-revoke)');
    expect(await store().read(mcp.url)).toBeUndefined();
    expect((await refreshCredential(before)).accessToken).toBeTruthy();
  });

  it('refuses targets that do not exist yet', async () => {
    expect((await cli(['logout', mcp.url, '--client', 'codex'])).code).toBe(2);
  });
});

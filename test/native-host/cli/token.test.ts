/**
 * `mcp-login-bridge token` under concurrency: many processes asking at once for an expired
 * credential refresh it once between them (a rotating provider would otherwise revoke the whole
 * grant when the second process reuses the old refresh token).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import { LoginService } from '../../../native-host/oauth/login-service';
import { parseConfig } from '../../../native-host/config';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { CLI_BIN, assertHostBuilt } from '../../helpers/native-client';
import { followToCallback } from '../../helpers/redirect-follower';

// The figure: 50 token helpers asking at once (a client starting many MCP sessions).
const PROCESSES = 50;

let keyring: KeyringHarness;
let restoreEnv: () => void;
let env: NodeJS.ProcessEnv;
const listener = new LoopbackListener();
const started: { close(): Promise<void> }[] = [];

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
  restoreEnv?.();
  await keyring?.stop();
});

/** A provider, its MCP server, and a stored login for it (made in-process, straight into the keyring). */
async function loggedIn(rotate: boolean): Promise<{ provider: GoogleLikeProvider; mcp: McpServerFixture; store: BridgeStore }> {
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
  const login = new LoginService({ loadConfig: async () => config, store, redirectUri: () => listener.redirectUri() });
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
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, 'token', url, ...options], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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

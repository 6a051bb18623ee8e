/**
 * Which account a login is for, with the real oidc-provider fixture (Google-like) and a real
 * keyring: found at login (ID token claims, else userinfo), stored with the login, kept across a
 * refresh, and shown by `status` (the built binary) and in its --json.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../native-host/config';
import { LoginService } from '../../../native-host/oauth/login-service';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import { refreshCredential } from '../../../native-host/oauth/refresh';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { DEMO_ACCOUNT, startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { assertHostBuilt, runCli, type CliRun } from '../../helpers/native-client';
import { followToCallback } from '../../helpers/redirect-follower';

let keyring: KeyringHarness;
let restoreEnv: () => void;
let env: NodeJS.ProcessEnv;
let home: string;
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
const listener = new LoopbackListener();
const store = new BridgeStore();

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  home = await mkdtemp(join(tmpdir(), 'mlb-account-'));
  env = { ...process.env, ...keyring.env, HOME: home, CODEX_HOME: join(home, '.codex'), CLAUDE_CONFIG_DIR: join(home, '.claude') };
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
});
afterAll(async () => {
  await listener.close();
  await mcp?.close();
  await provider?.close();
  restoreEnv?.();
  await keyring?.stop();
  await rm(home, { recursive: true, force: true });
});

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, env);
}

describe('the account of a login', () => {
  it('is the email the provider names, stored with the login, kept by a refresh, and shown by status', async () => {
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
    const result = await login.complete(callback.href);
    expect(result.account).toBe(DEMO_ACCOUNT.email);
    const stored = (await store.read(mcp.url))!;
    expect(stored.account).toBe(DEMO_ACCOUNT.email);

    const refreshed = await refreshCredential(stored);
    expect(refreshed.accessToken).not.toBe(stored.accessToken);
    expect(refreshed.account).toBe(DEMO_ACCOUNT.email);

    const text = await cli('status');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`${mcp.url}\n  account: ${DEMO_ACCOUNT.email}\n`);
    const json = await cli('status', '--json');
    const body = JSON.parse(json.stdout) as { credentials: Array<{ serverUrl: string; account?: string }> };
    expect(body.credentials.find((c) => c.serverUrl === mcp.url)?.account).toBe(DEMO_ACCOUNT.email);
    // A name, never a token.
    expect(json.stdout).not.toContain(stored.accessToken);
  });

  it('without the email scope the ID token names only the subject: the login still succeeds, as that subject', async () => {
    const bare = await startMcpServer({ issuer: provider.issuer, scopes: ['openid', 'mcp:tools'] });
    try {
      const config = parseConfig(
        {
          clients: [{ issuer: provider.issuer, servers: [bare.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
          rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
        },
        'test',
      );
      const login = new LoginService({ loadConfig: async () => config, store, redirectUri: () => listener.redirectUri() });
      const begun = await login.begin(bare.url);
      const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
      // The userinfo lookup is tried (the ID token has no email); what it could not add, the subject names.
      const result = await login.complete(callback.href);
      expect(result.account).toBe(DEMO_ACCOUNT.sub);
      expect((await store.read(bare.url))!.account).toBe(DEMO_ACCOUNT.sub);
    } finally {
      await bare.close();
    }
  });
});

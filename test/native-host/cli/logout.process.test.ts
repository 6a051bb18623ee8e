/**
 * `mcp-login-bridge logout`: the real CLI against the Google-like provider (which offers RFC 7009
 * revocation): the provider stops honouring the refresh token, and the keychain entry is gone.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { CLIENT_NAMES } from '../../../shared/protocol';
import { parseConfig } from '../../../native-host/config';
import { LoginService } from '../../../native-host/oauth/login-service';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import { refreshCredential } from '../../../native-host/oauth/refresh';
import { ClientLogins } from '../../../native-host/clients/client-logins';
import { ClaudeCodeAdapter } from '../../../native-host/clients/claude-code/claude-code-adapter';
import { CodexAdapter } from '../../../native-host/clients/codex/codex-adapter';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { ClaudeCodeStore } from '../../../native-host/clients/claude-code/claude-code-store';
import { CodexStore } from '../../../native-host/clients/codex/codex-store';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { assertHostBuilt, runCli, type CliRun } from '../../helpers/native-client';
import { followToCallback } from '../../helpers/redirect-follower';
import { writeCodexConfig, writeClaudeConfig } from '../../helpers/credentials';

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

async function logIn(clients?: ClientLogins, offline = true): Promise<void> {
  const config = parseConfig(
    {
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: offline ? [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }] : [],
    },
    'test',
  );
  const login = new LoginService({ loadConfig: async () => config, store: store(), redirectUri: () => listener.redirectUri(), ...(clients ? { clients } : {}) });
  const begun = await login.begin(mcp.url);
  const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
  expect((await login.complete(callback.href)).refreshCapable).toBe(offline);
}

function cli(args: string[], runEnv: NodeJS.ProcessEnv = env): Promise<CliRun> {
  return runCli(args, runEnv);
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
    expect(again.stderr).toMatch(/^mcp-login-bridge: Not logged in/);
  });

  it('does not say "revoked" when the provider could revoke none of the tokens', async () => {
    // No refresh token (no rule), and the fixture cannot revoke its JWT access tokens.
    await logIn(undefined, false);
    const r = await cli(['logout', mcp.url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).revocation).toEqual({ status: 'notRevocable', notRevocable: ['access_token'] });
    await logIn(undefined, false);
    const text = await cli(['logout', mcp.url]);
    expect(text.stdout).toContain('not revoked: the provider cannot revoke the access token; it stays valid until it expires');
    expect(text.stdout).not.toContain('revoked at the provider');
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

  it('refuses an unknown --client target', async () => {
    const r = await cli(['logout', mcp.url, '--client', 'cursor']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown --client "cursor": use bridge, codex, claude-code');
    for (const name of CLIENT_NAMES) expect(r.stderr).toContain(name);
  });
});

describe('logout with the same login in Codex and Claude Code', () => {
  /** A login that lands in the keychain, in Codex (file store) and in Claude Code, as a real one does. */
  async function logInEverywhere() {
    const root = await mkdtemp(join(tmpdir(), 'mlb-logout-clients-'));
    const codexHome = join(root, 'codex');
    const claudeDir = join(root, 'claude');
    await mkdir(codexHome);
    await mkdir(claudeDir);
    await writeCodexConfig(codexHome, [{ name: 'gm', url: mcp.url }]);
    await writeClaudeConfig(claudeDir, [{ name: 'mail', url: mcp.url }]);
    const claudeEnv = { HOME: claudeDir, CLAUDE_CONFIG_DIR: claudeDir };
    const codex = new CodexStore({ home: codexHome });
    const claude = new ClaudeCodeStore({ env: claudeEnv, platform: 'linux' });
    const clients = new ClientLogins({ adapters: [new CodexAdapter({ store: codex }), new ClaudeCodeAdapter({ store: claude, env: claudeEnv, projectDir: claudeDir })] });
    await logIn(clients);
    const codexRef = { name: 'gm', url: mcp.url };
    const claudeRef = { name: 'mail', url: mcp.url, type: 'http' };
    return {
      runEnv: { ...env, CODEX_HOME: codexHome, ...claudeEnv },
      copies: async () => ({ codex: (await codex.read(codexRef))?.credential, claude: (await claude.read(claudeRef))?.credential }),
    };
  }

  it("without --client: removes only the keychain entry and does not revoke the login the clients still use", async () => {
    const { runEnv, copies } = await logInEverywhere();
    const before = (await store().read(mcp.url))!;
    const kept = await copies();
    expect(kept.codex?.refreshToken).toBe(before.refreshToken);
    expect(kept.claude?.refreshToken).toBe(kept.codex?.refreshToken);
    const r = await cli(['logout', mcp.url, '--json'], runEnv);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.removed).toEqual([{ target: 'bridge', location: expect.any(String) }]);
    expect(out.revocation).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/still used by Codex \(server "gm"\) and Claude Code \(server "mail"\)/) });
    expect(await store().read(mcp.url)).toBeUndefined();
    // The clients' copies are untouched, and the refresh token they hold still works at the provider.
    expect(await copies()).toEqual(kept);
    expect((await refreshCredential(before)).accessToken).toBeTruthy();
  });

  it('with every --client: removes all three copies and revokes the login at the provider', async () => {
    const { runEnv, copies } = await logInEverywhere();
    const before = (await store().read(mcp.url))!;
    const r = await cli(['logout', mcp.url, '--client', 'bridge', '--client', 'codex', '--client', 'claude-code'], runEnv);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed from .*\(gm\).*\(mail\)/);
    expect(r.stdout).toContain('revoked at the provider: refresh token');
    expect(await copies()).toEqual({ codex: undefined, claude: undefined });
    expect(await store().read(mcp.url)).toBeUndefined();
    await expect(refreshCredential(before)).rejects.toMatchObject({ code: ErrorCode.LoginNeeded });
    // Nothing left anywhere: a second run says so (exit 4).
    expect((await cli(['logout', mcp.url, '--client', 'codex'], runEnv)).code).toBe(4);
  });
});

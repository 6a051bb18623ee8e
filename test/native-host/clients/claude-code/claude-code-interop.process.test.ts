/**
 * Interop with the real Claude Code CLI (npm @anthropic-ai/claude-code 2.1.197, no account needed):
 * our `mcpOAuth` entry, already expired, is found by `claude mcp list`, refreshed with our refresh
 * token and client secret, and rewritten still refresh-capable, with Claude's other keys kept.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../../../native-host/stores/bridge-store';
import { claudeUsability } from '../../../../native-host/clients/claude-code/claude-entry';
import { ClaudeCodeStore } from '../../../../native-host/clients/claude-code/claude-code-store';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../../fixtures/mcp-server';
import { assertClaudeInstalled, claudeEnv, claudeMcpList } from '../../../helpers/claude-cli';
import { loginToFixture } from '../../../helpers/fixture-login';
import { assertHostBuilt, CLI_BIN } from '../../../helpers/native-client';

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let dir: string;
let keyring: KeyringHarness;
let restoreEnv: () => void;

beforeAll(async () => {
  assertClaudeInstalled();
  // For the headersHelper test: our token command reads the bridge entry from the keychain.
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
  dir = await mkdtemp(join(tmpdir(), 'mlb-claude-interop-'));
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  restoreEnv?.();
  await keyring?.stop();
});

describe('Claude Code reads what we write', () => {
  it('refreshes our expired login (Google-like confidential client) and keeps it refresh-capable', async () => {
    const env = claudeEnv(dir);
    await writeFile(join(dir, '.claude.json'), JSON.stringify({ mcpServers: { mock: { type: 'http', url: mcp.url } } }));
    // Another key of Claude's to keep. Not a claude.ai token: with one, Claude spends ~17 s trying
    // to reach its account API, which this machine has no route to.
    await writeFile(join(dir, '.credentials.json'), JSON.stringify({ otherClientState: { kept: [1, 'two'] } }), { mode: 0o600 });
    const login = await loginToFixture(provider, mcp.url, { configuredClient: true });
    const store = new ClaudeCodeStore({ env });
    const server = { name: 'mock', type: 'http', url: mcp.url };
    await store.write(server, { ...login, expiresAt: Date.now() - 60_000 }, { authorizationServerUrl: provider.issuer, resourceMetadataUrl: mcp.resourceMetadataUrl });

    const refreshesBefore = provider.stats.refreshRequests;
    const listed = await claudeMcpList(env, dir);
    expect(listed).toContain(`mock: ${mcp.url} (HTTP) - ✔ Connected`);
    expect(provider.stats.refreshRequests).toBe(refreshesBefore + 1);

    const after = await store.read(server);
    expect(after?.credential.accessToken).not.toBe(login.accessToken);
    expect(after?.credential.refreshToken).toBe(login.refreshToken);
    expect(after?.credential.issuer).toBe(provider.issuer);
    expect(after?.credential.expiresAt).toBeGreaterThan(Date.now());
    expect(claudeUsability(after!.credential, Date.now())).toMatchObject({ refreshCapable: true });
    const doc = JSON.parse(await readFile(join(dir, '.credentials.json'), 'utf8'));
    expect(doc.otherClientState).toEqual({ kept: [1, 'two'] });
  });

  it('fails to connect when the stored login is expired and cannot be refreshed (the check above can fail)', async () => {
    const env = claudeEnv(dir);
    const login = await loginToFixture(provider, mcp.url, { configuredClient: true });
    const store = new ClaudeCodeStore({ env });
    const server = { name: 'mock', type: 'http', url: mcp.url };
    const { refreshToken: _dropped, ...withoutRefresh } = login;
    await store.write(server, { ...withoutRefresh, expiresAt: Date.now() - 60_000 }, { authorizationServerUrl: provider.issuer });
    const listed = await claudeMcpList(env, dir);
    expect(listed).not.toContain('✔ Connected');
  });
});

describe('Claude Code headersHelper with mcp-login-bridge token --headers', () => {
  it('connects with the header our token command prints, refreshing our own expired entry first', async () => {
    assertHostBuilt();
    const helperDir = await mkdtemp(join(tmpdir(), 'mlb-claude-helper-'));
    try {
      // Claude Code runs headersHelper as a shell command (10 s limit) and wants one JSON object of
      // string values on stdout; it has no stored OAuth login for this server.
      const helper = [process.execPath, CLI_BIN, 'token', mcp.url, '--headers'].map((a) => `'${a}'`).join(' ');
      await writeFile(join(helperDir, '.claude.json'), JSON.stringify({ mcpServers: { viahelper: { type: 'http', url: mcp.url, headersHelper: helper } } }));
      const login = await loginToFixture(provider, mcp.url, { configuredClient: true });
      await new BridgeStore().write({ ...login, expiresAt: Date.now() - 60_000 });
      const refreshesBefore = provider.stats.refreshRequests;
      const listed = await claudeMcpList(claudeEnv(helperDir, keyring.env), helperDir);
      expect(listed).toContain(`viahelper: ${mcp.url} (HTTP) - ✔ Connected`);
      expect(provider.stats.refreshRequests).toBe(refreshesBefore + 1);
    } finally {
      await rm(helperDir, { recursive: true, force: true });
    }
  });
});

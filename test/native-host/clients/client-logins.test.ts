/**
 * One login lands in every client configured with the URL: the host's LoginService against the
 * Google-like provider, with Codex and Claude Code homes in temp directories.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyClientAdvice, ClientLogins } from '../../../native-host/clients/client-logins';
import { ClaudeCodeAdapter } from '../../../native-host/clients/claude-code/claude-code-adapter';
import { CodexAdapter } from '../../../native-host/clients/codex/codex-adapter';
import { EMPTY_CONFIG } from '../../../native-host/config';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import { LoginService, type BeginOptions } from '../../../native-host/oauth/login-service';
import { ClaudeCodeStore } from '../../../native-host/clients/claude-code/claude-code-store';
import { CodexStore } from '../../../native-host/clients/codex/codex-store';
import type { CredentialTarget, StoredCredential } from '../../../native-host/stores/credential';
import { parseRule } from '../../../shared/providers';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { followToCallback } from '../../helpers/redirect-follower';
import { writeClaudeConfig } from '../../helpers/credentials';

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let root: string;
const listener = new LoopbackListener();

beforeAll(async () => {
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
  root = await mkdtemp(join(tmpdir(), 'mlb-client-logins-'));
});
afterAll(async () => {
  await listener.close();
  await mcp?.close();
  await provider?.close();
  await rm(root, { recursive: true, force: true });
});

const CODEX_CONFIG = (url: string) => `# Codex config with comments
mcp_oauth_credentials_store = "file"

[mcp_servers.gm]   # the Google-like one
url = "${url}"

[mcp_servers.other]
url = "https://other.example/mcp"
`;

async function setup(name: string) {
  const codexHome = join(root, name, 'codex');
  const claudeDir = join(root, name, 'claude');
  await mkdir(codexHome, { recursive: true });
  await mkdir(claudeDir, { recursive: true });
  await writeFile(join(codexHome, 'config.toml'), CODEX_CONFIG(mcp.url));
  await writeClaudeConfig(claudeDir, [{ name: 'mail', url: mcp.url }]);
  const env = { HOME: claudeDir, CLAUDE_CONFIG_DIR: claudeDir };
  const codex = new CodexStore({ home: codexHome });
  const claude = new ClaudeCodeStore({ env, platform: 'linux' });
  const adapters = [new CodexAdapter({ store: codex }), new ClaudeCodeAdapter({ store: claude, env, projectDir: claudeDir })];
  const clients = new ClientLogins({ adapters });
  let bridge: StoredCredential | undefined;
  const store: CredentialTarget = { name: 'bridge', describe: () => 'memory', read: async () => bridge, write: async (c) => void (bridge = c), delete: async () => true, list: async () => [] };
  const login = new LoginService({
    loadConfig: async () => ({
      ...EMPTY_CONFIG,
      rules: [parseRule({ id: 'g', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }, 'config')],
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
    }),
    store,
    clients,
    redirectUri: () => listener.redirectUri(),
  });
  const run = async (options?: BeginOptions) => {
    const begun = await login.begin(mcp.url, options);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    return login.complete(callback.href);
  };
  return { codexHome, claudeDir, codex, claude, adapters, run, bridge: () => bridge! };
}

describe('a login for a URL', () => {
  it('is written to Codex and Claude Code under their names, and says which Codex lines a confidential client needs', async () => {
    const s = await setup('all');
    const result = await s.run();
    expect(result.stored.map((t) => [t.target, t.server])).toEqual([['bridge', undefined], ['codex', 'gm'], ['claude-code', 'mail']]);
    const codexEntry = await s.codex.read({ name: 'gm', url: mcp.url });
    expect(codexEntry?.credential.refreshToken).toBe(s.bridge().refreshToken);
    const claudeEntry = await s.claude.read({ name: 'mail', type: 'http', url: mcp.url });
    expect(claudeEntry?.credential.refreshToken).toBe(s.bridge().refreshToken);
    const advice = result.notices?.find((n) => n.target === 'codex');
    expect(advice?.kind).toBe('settings-missing');
    expect(advice?.message).toContain('[mcp_servers.gm.oauth]');
    expect(advice?.message).toContain(`client_id = "${provider.clientId}"`);
    const json = JSON.stringify(result);
    expect(json).not.toContain(provider.clientSecret);
    expect(json).not.toContain(s.bridge().refreshToken!);
    expect(json).not.toContain(s.bridge().accessToken);
  });

  it('with writeConfig adds the client settings to config.toml, keeping its comments', async () => {
    const s = await setup('write');
    const result = await s.run({ writeConfig: true });
    const text = await readFile(join(s.codexHome, 'config.toml'), 'utf8');
    expect(text.startsWith(CODEX_CONFIG(mcp.url).split('[mcp_servers.other]')[0]!.trimEnd())).toBe(true);
    expect(text).toContain('# the Google-like one');
    expect((parse(text) as any).mcp_servers.gm.oauth).toEqual({ client_id: provider.clientId, client_secret: provider.clientSecret });
    expect(result.notices?.map((n) => n.message)).toEqual([expect.stringContaining('Added client_id and client_secret for gm')]);
    expect(result.notices?.map((n) => n.kind)).toEqual(['settings-added']);
  });

  it('with writeConfig still stores the Codex login when the config edit refuses, and says why', async () => {
    const s = await setup('write-refused');
    // oauth written with dotted keys: the edit will not guess where the new keys go.
    const dotted = CODEX_CONFIG(mcp.url).replace(`url = "${mcp.url}"\n`, `url = "${mcp.url}"\noauth.callback_port = 5555\n`);
    await writeFile(join(s.codexHome, 'config.toml'), dotted);
    const result = await s.run({ writeConfig: true });
    expect(result.stored.map((t) => [t.target, t.server])).toEqual([['bridge', undefined], ['codex', 'gm'], ['claude-code', 'mail']]);
    expect((await s.codex.read({ name: 'gm', url: mcp.url }))?.credential.refreshToken).toBe(s.bridge().refreshToken);
    expect(await readFile(join(s.codexHome, 'config.toml'), 'utf8')).toBe(dotted);
    const codexNotices = result.notices!.filter((n) => n.target === 'codex').map((n) => n.message);
    expect(codexNotices).toEqual([
      expect.stringMatching(/^Cannot add the client settings to .*config\.toml: \[mcp_servers\.gm\] sets oauth inline or with dotted keys/),
      expect.stringContaining(`client_id = "${provider.clientId}"`),
    ]);
    expect(result.notices!.filter((n) => n.target === 'codex').map((n) => n.kind)).toEqual(['config-edit-failed', 'settings-missing']);
    const json = JSON.stringify(result);
    expect(json).not.toContain(provider.clientSecret);
    expect(json).not.toContain(s.bridge().refreshToken!);
    expect(json).not.toContain(s.bridge().accessToken);
  });

  it('goes only to the clients asked for, and says when one has no such server', async () => {
    const s = await setup('some');
    await writeFile(join(s.claudeDir, '.claude.json'), JSON.stringify({ mcpServers: {} }));
    const result = await s.run({ clients: ['claude-code'] });
    expect(result.stored.map((t) => t.target)).toEqual(['bridge']);
    expect(await s.codex.read({ name: 'gm', url: mcp.url })).toBeUndefined();
    expect(result.notices).toEqual([{ target: 'claude-code', kind: 'not-configured', message: expect.stringContaining('claude mcp add --transport http') }]);
  });
});

describe('login --write-config after a browser host completed the login', () => {
  it('adds the lines the host asked for, from the keychain entry, and replaces that notice', async () => {
    const s = await setup('after');
    const result = await s.run();
    const before = result.notices!.filter((n) => n.target === 'codex');
    expect(before).toHaveLength(1);
    const updated = await applyClientAdvice(result, async () => s.bridge(), s.adapters);
    expect(updated.notices!.filter((n) => n.target === 'codex').map((n) => n.message)).toEqual([expect.stringContaining('Added client_id and client_secret for gm')]);
    expect(updated.notices!.filter((n) => n.target === 'codex').map((n) => n.kind)).toEqual(['settings-added']);
    const text = await readFile(join(s.codexHome, 'config.toml'), 'utf8');
    expect((parse(text) as any).mcp_servers.gm.oauth.client_secret).toBe(provider.clientSecret);
    expect(text).toContain('# Codex config with comments');
  });
});

describe('the preflight before a login', () => {
  it('finds nothing in the way when every configured store can be written, and writes nothing', async () => {
    const s = await setup('preflight-ok');
    const clients = new ClientLogins({ adapters: s.adapters });
    expect(await clients.preflight(mcp.url)).toEqual([]);
    expect(await s.codex.read({ name: 'gm', url: mcp.url })).toBeUndefined();
  });

  it("names a store that would refuse the login's copy, and a config that cannot be read, with their kinds", async () => {
    const s = await setup('preflight-refused');
    const damaged = '{"mcpOAuth": "not an object"}';
    await writeFile(join(s.claudeDir, '.credentials.json'), damaged);
    await writeFile(join(s.codexHome, 'config.toml'), 'mcp_oauth_credentials_store = "nowhere"\n');
    const notices = await new ClientLogins({ adapters: s.adapters }).preflight(mcp.url);
    expect(notices).toEqual([
      { target: 'codex', kind: 'config-unreadable', message: expect.stringContaining('mcp_oauth_credentials_store must be') },
      { target: 'claude-code', kind: 'store-unwritable', server: 'mail', message: expect.stringContaining('"mcpOAuth" must be an object') },
    ]);
    expect(await readFile(join(s.claudeDir, '.credentials.json'), 'utf8')).toBe(damaged);
    // Only the clients asked for are checked.
    expect(await new ClientLogins({ adapters: s.adapters }).preflight(mcp.url, ['codex'])).toEqual([notices[0]]);
  });

  it("names Codex's encrypted store (the Windows default), which a login cannot write", async () => {
    const s = await setup('preflight-encrypted');
    const windows = new CodexAdapter({ env: { CODEX_HOME: s.codexHome }, platform: 'win32' });
    // Left to the login's notices unless Codex is asked for by name.
    expect(await new ClientLogins({ adapters: [windows] }).preflight(mcp.url)).toEqual([]);
    expect(await new ClientLogins({ adapters: [windows] }).preflight(mcp.url, ['codex'])).toEqual([
      { target: 'codex', kind: 'store-unwritable', server: 'gm', message: expect.stringContaining('secret_auth_storage = false') },
    ]);
  });
});

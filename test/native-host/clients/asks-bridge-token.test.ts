import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asksBridgeToken, asksTokenMessage } from '../../../native-host/clients/asks-bridge-token';
import { ClaudeCodeAdapter } from '../../../native-host/clients/claude-code/claude-code-adapter';
import { ClientLogins } from '../../../native-host/clients/client-logins';
import { CodexAdapter } from '../../../native-host/clients/codex/codex-adapter';
import type { StoredCredential } from '../../../native-host/stores/credential';

describe('asksBridgeToken', () => {
  it.each([
    'mcp-login-bridge token https://a.example/mcp --headers',
    '/usr/local/bin/mcp-login-bridge token https://a.example/mcp --headers',
    "'/usr/bin/node' '/opt/mlb/native-host/bin/mcp-login-bridge.cjs' 'token' 'https://a.example/mcp' '--headers'",
    '"C:\\\\Program Files\\\\nodejs\\\\node.exe" "C:\\\\mlb\\\\dist\\\\native-host\\\\mcp-login-bridge.mjs" token gmail --headers',
    "DBUS_SESSION_BUS_ADDRESS='unix:path=/x' mcp-login-bridge token gmail",
  ])('recognises %s', (helper) => expect(asksBridgeToken(helper)).toBe(true));

  it.each([
    undefined,
    42,
    '',
    'get-token.sh',
    'mcp-login-bridge status --json',
    'mcp-login-bridge tokens',
    'echo mcp-login-bridge; other token',
  ])('does not take %s for it', (helper) => expect(asksBridgeToken(helper)).toBe(false));

  it('says why nothing was written and how to remove an older copy, naming no secret', () => {
    const text = asksTokenMessage('Codex', 'gmail', 'http_headers_helper', 'codex', 'https://a.example/mcp');
    expect(text).toContain('http_headers_helper');
    expect(text).toContain('mcp-login-bridge logout https://a.example/mcp --client codex --no-revoke');
  });
});

describe('a server whose headers helper asks token gets no copy', () => {
  const URL_A = 'https://a.example/mcp';
  const credential: StoredCredential = {
    serverUrl: URL_A, resource: URL_A, issuer: 'https://issuer.example', clientId: 'cid', tokenEndpointAuthMethod: 'none',
    accessToken: 'at', tokenType: 'Bearer', refreshToken: 'rt', expiresAt: Date.now() + 3_600_000, scope: 'mcp', updatedAt: Date.now(),
  };
  let dir: string;
  beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), 'mlb-asks-token-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('Codex http_headers_helper and Claude Code headersHelper: discovered as asking, login writes neither, the plain server still gets its copy', async () => {
    const helper = `mcp-login-bridge token ${URL_A} --headers`;
    const codexHome = join(dir, 'codex');
    await mkdir(codexHome);
    await writeFile(join(codexHome, 'config.toml'), `mcp_oauth_credentials_store = "file"\n[mcp_servers.asks]\nurl = "${URL_A}"\nhttp_headers_helper = ${JSON.stringify(helper)}\n[mcp_servers.plain]\nurl = "${URL_A}"\n`);
    await writeFile(join(dir, '.claude.json'), JSON.stringify({ mcpServers: { asks: { type: 'http', url: URL_A, headersHelper: helper } } }));
    const env = { HOME: dir, CLAUDE_CONFIG_DIR: dir };
    const adapters = [new CodexAdapter({ env: { CODEX_HOME: codexHome }, platform: 'linux' }), new ClaudeCodeAdapter({ env, projectDir: join(dir, 'none'), platform: 'linux' })];

    const found = (await Promise.all(adapters.map((a) => a.discover()))).flatMap((d) => d.servers);
    expect(found.map((s) => [s.client, s.name, s.asksToken])).toEqual([['codex', 'asks', 'http_headers_helper'], ['codex', 'plain', undefined], ['claude-code', 'asks', 'headersHelper']]);

    const logins = new ClientLogins({ adapters });
    expect(await logins.preflight(URL_A)).toEqual([]);
    const result = await logins.write(credential);
    expect(result.stored).toEqual([expect.objectContaining({ target: 'codex', server: 'plain' })]);
    expect(result.notices).toEqual([
      expect.objectContaining({ target: 'codex', kind: 'asks-token', server: 'asks' }),
      expect.objectContaining({ target: 'claude-code', kind: 'asks-token', server: 'asks' }),
    ]);
    for (const server of found.filter((s) => s.asksToken)) expect(await adapters.find((a) => a.id === server.client)!.read(server as never)).toBeUndefined();
  });
});

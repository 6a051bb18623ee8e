/** status per client: logged in, refresh-capable, and why not — by each client's own rules. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientStatuses } from '../../../native-host/clients/client-status';
import { ClaudeCodeAdapter } from '../../../native-host/clients/claude-code/claude-code-adapter';
import { CodexAdapter } from '../../../native-host/clients/codex/codex-adapter';
import { ClaudeCodeStore } from '../../../native-host/clients/claude-code/claude-code-store';
import { claudeStoreKey } from '../../../native-host/clients/claude-code/store-key';
import { CodexStore } from '../../../native-host/clients/codex/codex-store';
import { codexStoreKey } from '../../../native-host/clients/codex/store-key';

const NOW = 1_800_000_000_000;
const GOOGLE = 'https://accounts.google.com';
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mlb-client-status-'));
  await mkdir(join(root, 'codex'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function codexEntry(name: string, url: string, fields: Record<string, unknown>) {
  return { [codexStoreKey(name, url)]: { server_name: name, server_url: url, client_id: 'cid', access_token: 'A', expires_at: NOW - 1000, scopes: [], ...fields } };
}

describe('client status', () => {
  it('says for each configured server whether the client can refresh, and why not', async () => {
    const url = (n: string) => `https://${n}.example/mcp`;
    await writeFile(join(root, 'codex', 'config.toml'), [
      'mcp_oauth_credentials_store = "file"',
      `[mcp_servers.good]\nurl = "${url('good')}"`,
      `[mcp_servers.noissuer]\nurl = "${url('noissuer')}"`,
      `[mcp_servers.norefresh]\nurl = "${url('norefresh')}"`,
      `[mcp_servers.gmail]\nurl = "${url('gmail')}"`,
      `[mcp_servers.other]\nurl = "${url('other')}"\n[mcp_servers.other.oauth]\nclient_id = "someone-else"`,
      `[mcp_servers.none]\nurl = "${url('none')}"`,
    ].join('\n'));
    await writeFile(join(root, 'codex', '.credentials.json'), JSON.stringify({
      ...codexEntry('good', url('good'), { issuer: 'https://idp.example', refresh_token: 'R' }),
      ...codexEntry('noissuer', url('noissuer'), { refresh_token: 'R' }),
      ...codexEntry('norefresh', url('norefresh'), { issuer: 'https://idp.example', expires_at: NOW + 3_600_000 }),
      ...codexEntry('gmail', url('gmail'), { issuer: GOOGLE, refresh_token: 'R' }),
      ...codexEntry('other', url('other'), { issuer: GOOGLE, refresh_token: 'R' }),
    }));
    await writeFile(join(root, '.claude.json'), JSON.stringify({ mcpServers: { mail: { type: 'http', url: url('good') } } }));
    await writeFile(join(root, '.credentials.json'), JSON.stringify({
      mcpOAuth: { [claudeStoreKey('mail', { type: 'http', url: url('good') })]: { serverName: 'mail', serverUrl: url('good'), clientId: 'cid', issuer: 'https://idp.example', accessToken: 'A', expiresAt: NOW - 1000, scope: '' } },
    }));
    const env = { HOME: root, CLAUDE_CONFIG_DIR: root };
    const { clients, problems } = await clientStatuses({
      adapters: [new CodexAdapter({ store: new CodexStore({ home: join(root, 'codex') }) }), new ClaudeCodeAdapter({ store: new ClaudeCodeStore({ env, platform: 'linux' }), env, projectDir: root })],
      now: () => NOW,
    });
    expect(problems).toEqual([]);
    const by = Object.fromEntries(clients.map((c) => [`${c.client}:${c.server}`, c]));
    expect(by['codex:good']).toMatchObject({ loggedIn: true, refreshCapable: true, store: 'file', issuer: 'https://idp.example' });
    expect(by['codex:noissuer']).toMatchObject({ loggedIn: false, refreshCapable: false, reason: expect.stringContaining('no issuer') });
    expect(by['codex:norefresh']).toMatchObject({ loggedIn: true, refreshCapable: false, reason: 'no refresh token stored' });
    expect(by['codex:gmail']).toMatchObject({ refreshCapable: false, reason: expect.stringContaining('client secret missing') });
    expect(by['codex:gmail']!.reason).toContain('[mcp_servers.gmail.oauth]');
    expect(by['codex:other']).toMatchObject({ refreshCapable: false, reason: expect.stringContaining('client id mismatch') });
    expect(by['codex:none']).toMatchObject({ loggedIn: false, reason: 'not logged in' });
    expect(by['claude-code:mail']).toMatchObject({ loggedIn: false, refreshCapable: false, reason: 'no refresh token stored' });
    expect(clients.map((c) => c.label)).toEqual([...Array(6).fill('Codex'), 'Claude Code']);
    expect(JSON.stringify(clients)).not.toMatch(/"A"|"R"/);
  });
});

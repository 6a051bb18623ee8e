/** Discovery of the servers Codex and Claude Code have configured, named as each client names them. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverClientServers, serversForUrl } from '../../../native-host/clients/configured-servers';
import type { ClaudeServerConfig } from '../../../native-host/clients/claude-code/claude-code-config';
import { claudeStoreKey } from '../../../native-host/clients/claude-code/store-key';
import { codexStoreKey } from '../../../native-host/clients/codex/store-key';
import { localClientAdapters } from '../../helpers/client-adapters';
import { writeClaudeConfig } from '../../helpers/credentials';

const URL_A = 'https://gmailmcp.googleapis.com/mcp/v1';
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mlb-clients-'));
  await mkdir(join(root, 'codex'));
  await mkdir(join(root, 'project'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('configured client servers', () => {
  it('finds every client entry with exactly the URL, under each client\'s name', async () => {
    await writeFile(join(root, 'codex', 'config.toml'), `[mcp_servers.gmail]\nurl = "${URL_A}"\n\n[mcp_servers.slash]\nurl = "${URL_A}/"\n\n[mcp_servers.fs]\ncommand = "npx"\n`);
    await writeFile(join(root, '.claude.json'), JSON.stringify({
      mcpServers: { 'google-mail': { type: 'http', url: URL_A }, local: { type: 'stdio', command: 'x' } },
      projects: { '/work/p': { mcpServers: { mail: { url: URL_A, headers: { 'X-Team': 'a' } } } } },
    }));
    await writeFile(join(root, 'project', '.mcp.json'), JSON.stringify({ mcpServers: { team: { type: 'sse', url: 'https://other.example/sse' } } }));
    const discovery = await discoverClientServers(localClientAdapters({ codexHome: join(root, 'codex'), env: { HOME: root }, projectDir: join(root, 'project') }));
    expect(discovery.problems).toEqual([]);
    const matches = serversForUrl(discovery, URL_A).map((m) => m.server);
    expect(matches.map((s) => [s.client, s.name])).toEqual([['codex', 'gmail'], ['claude-code', 'google-mail'], ['claude-code', 'mail']]);
    expect(codexStoreKey(matches[0]!.name, matches[0]!.url)).toBe('gmail|ccf1c9a68b28be24');
    const local = matches[2]!;
    const localConfig = local.config as ClaudeServerConfig;
    expect(local.client === 'claude-code' && localConfig.headers).toEqual({ 'X-Team': 'a' });
    expect(local.client === 'claude-code' && claudeStoreKey(local.name, localConfig)).not.toBe(claudeStoreKey('mail', { url: URL_A }));
    // Each server names its store entry as the client computes it (one lock per entry).
    expect(matches.map((s) => s.entryKey)).toEqual(['gmail|ccf1c9a68b28be24', claudeStoreKey('google-mail', { type: 'http', url: URL_A }), claudeStoreKey('mail', localConfig)]);
    expect(discovery.servers.some(({ server }) => server.url === 'https://other.example/sse')).toBe(true);
  });

  it('reports an unreadable config by file and field and still lists the other client', async () => {
    await writeFile(join(root, 'codex', 'config.toml'), '[mcp_servers.gmail]\nurl = 5\n');
    await writeClaudeConfig(root, [{ name: 'mail', url: URL_A }]);
    const discovery = await discoverClientServers(localClientAdapters({ codexHome: join(root, 'codex'), env: { HOME: root }, projectDir: join(root, 'project') }));
    expect(discovery.problems).toEqual([{ target: 'codex', kind: 'config-unreadable', message: expect.stringContaining('[mcp_servers.gmail].url must be a string') }]);
    expect(discovery.servers.map(({ server }) => server.name)).toEqual(['mail']);
  });
});

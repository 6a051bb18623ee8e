/** doctor's client checks: per registered client, unreadable configs and stores a login could not be written to. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkClients } from '../../../native-host/doctor/client-checks';
import { localClientAdapters } from '../../helpers/client-adapters';
import { writeClaudeConfig } from '../../helpers/credentials';

const URL_A = 'https://a.example/mcp';
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mlb-doctor-clients-'));
  await mkdir(join(root, 'codex'));
  await mkdir(join(root, 'project'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const adapters = () => localClientAdapters({ codexHome: join(root, 'codex'), env: { HOME: root, CLAUDE_CONFIG_DIR: root }, projectDir: join(root, 'project'), platform: 'linux' });

describe('doctor: the local MCP clients', () => {
  it('says which clients get logins and which have nothing configured', async () => {
    await writeFile(join(root, 'codex', 'config.toml'), `mcp_oauth_credentials_store = "file"\n[mcp_servers.a]\nurl = "${URL_A}"\n`);
    const checks = await checkClients(adapters());
    expect(checks).toEqual([
      { id: 'client:codex', status: 'ok', message: 'Codex: 1 server(s) configured (a); logins are written there' },
      { id: 'client:claude-code', status: 'info', message: expect.stringContaining('Claude Code: no MCP server') },
    ]);
  });

  it('says a server whose headers helper asks token gets no copy, and checks no store for it', async () => {
    await writeFile(join(root, 'codex', 'config.toml'), `mcp_oauth_credentials_store = "file"\n[mcp_servers.a]\nurl = "${URL_A}"\nhttp_headers_helper = "mcp-login-bridge token ${URL_A} --headers"\n`);
    // Claude Code's store is damaged, but its only server asks token: no warning about a store never written.
    await writeClaudeConfig(root, [{ name: 'mail', url: URL_A, headersHelper: `mcp-login-bridge token ${URL_A} --headers` }]);
    await writeFile(join(root, '.credentials.json'), '{"mcpOAuth": [1, 2]}');
    expect(await checkClients(adapters())).toEqual([
      { id: 'client:codex', status: 'info', message: 'Codex: server "a" asks mcp-login-bridge token through its http_headers_helper, so no copy of a login is written there' },
      { id: 'client:claude-code', status: 'info', message: 'Claude Code: server "mail" asks mcp-login-bridge token through its headersHelper, so no copy of a login is written there' },
    ]);
  });

  it('warns about an unreadable config and a store a login could not be written to, and writes nothing', async () => {
    await writeFile(join(root, 'codex', 'config.toml'), '[mcp_servers.a]\nurl = 5\n');
    await writeClaudeConfig(root, [{ name: 'mail', url: URL_A }]);
    const damaged = '{"mcpOAuth": [1, 2]}';
    await writeFile(join(root, '.credentials.json'), damaged);
    const checks = await checkClients(adapters());
    expect(checks).toEqual([
      { id: 'client:codex', status: 'warn', message: expect.stringContaining('[mcp_servers.a].url must be a string'), fix: expect.any(String) },
      { id: 'client:claude-code', status: 'warn', message: expect.stringContaining('"mcpOAuth" must be an object') },
    ]);
    expect(await readFile(join(root, '.credentials.json'), 'utf8')).toBe(damaged);
  });
});

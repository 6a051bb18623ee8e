/**
 * The one factory for test credentials (a `StoredCredential` as a login writes it) and for the
 * MCP clients' config files tests set up. Each test overrides only what it is about; the defaults
 * are obviously fake, and every token holds "SECRET" so a test that looks for leaks can find it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredCredential } from '../../native-host/stores/credential';

export const TEST_SERVER_URL = 'https://mcp.example.com/mcp';

/** A refresh-capable login to `TEST_SERVER_URL` (or `overrides.serverUrl`), expiring in an hour from `updatedAt`. */
export function testCredential(overrides: Partial<StoredCredential> = {}): StoredCredential {
  const serverUrl = overrides.serverUrl ?? TEST_SERVER_URL;
  const updatedAt = overrides.updatedAt ?? 1_700_000_000_000;
  return {
    serverUrl,
    resource: serverUrl,
    issuer: 'https://accounts.example.com',
    clientId: 'client-1',
    tokenEndpointAuthMethod: 'none',
    accessToken: 'access-SECRET',
    tokenType: 'Bearer',
    refreshToken: 'refresh-SECRET',
    expiresAt: updatedAt + 3_600_000,
    scope: 'openid email',
    updatedAt,
    ...overrides,
  };
}

/**
 * Test credentials that differ from each other: the n-th has its own server URL
 * (`https://mcp<n>.example.com/mcp`), client id, tokens and times; `shape` (and a call's own
 * overrides, which may also be a function of n) change the rest, e.g. JWT-sized tokens.
 */
export function credentialSeries(
  shape: (serial: number) => Partial<StoredCredential> = () => ({}),
): (overrides?: Partial<StoredCredential> | ((serial: number) => Partial<StoredCredential>)) => StoredCredential {
  let serial = 0;
  return (overrides = {}) => {
    serial += 1;
    return testCredential({
      serverUrl: `https://mcp${serial}.example.com/mcp`,
      clientId: `client-${serial}`,
      accessToken: `at-SECRET-${serial}`,
      refreshToken: `rt-SECRET-${serial}`,
      expiresAt: 1_800_000_000_000 + serial,
      updatedAt: 1_700_000_000_000 + serial,
      ...shape(serial),
      ...(typeof overrides === 'function' ? overrides(serial) : overrides),
    });
  };
}

/** An MCP server entry in a client's config: its name there, its URL, and a headers helper if it asks `token`. */
export interface ConfiguredServer {
  name: string;
  url: string;
  /** The command a headers helper runs (Codex's http_headers_helper, Claude Code's headersHelper). */
  headersHelper?: string;
}

/**
 * Codex's config.toml in `codexHome`: `store` is its `mcp_oauth_credentials_store` ("file" unless
 * given; null leaves the line out, i.e. Codex's default, "auto"), then one table per server.
 */
export async function writeCodexConfig(codexHome: string, servers: ConfiguredServer[], store: 'file' | 'keyring' | 'auto' | null = 'file'): Promise<string> {
  const head = store === null ? '' : `mcp_oauth_credentials_store = "${store}"\n\n`;
  const tables = servers.map((s) => `[mcp_servers.${s.name}]\nurl = "${s.url}"\n${s.headersHelper ? `http_headers_helper = ${JSON.stringify(s.headersHelper)}\n` : ''}`);
  const path = join(codexHome, 'config.toml');
  await mkdir(codexHome, { recursive: true });
  await writeFile(path, head + tables.join('\n'));
  return path;
}

/** Claude Code's user config `<claudeDir>/.claude.json`, with each server as an http entry. */
export async function writeClaudeConfig(claudeDir: string, servers: ConfiguredServer[]): Promise<string> {
  const mcpServers = Object.fromEntries(servers.map((s) => [s.name, { type: 'http', url: s.url, ...(s.headersHelper ? { headersHelper: s.headersHelper } : {}) }]));
  const path = join(claudeDir, '.claude.json');
  await mkdir(claudeDir, { recursive: true });
  await writeFile(path, JSON.stringify({ mcpServers }));
  return path;
}

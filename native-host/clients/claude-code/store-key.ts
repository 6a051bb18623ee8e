/**
 * The key Claude Code files an MCP server's OAuth credentials under (`mcpOAuth[key]`,
 * `mcpOAuthClientConfig[key]`). INTEROP.md "Claude Code / Key", read from Claude Code 2.1.332:
 *
 *   `<server name>|<first 16 hex of sha256(JSON.stringify({type, url, headers: headers || {}}))>`
 *
 * computed from the server's own entry in Claude's MCP config: `type` is left out when the entry
 * has none (JSON.stringify drops undefined), and the headers are the entry's, in its order.
 */
import { createHash } from 'node:crypto';

/** The parts of a `mcpServers.<name>` entry that go into the key. */
export interface ClaudeServerKeyFields {
  type?: string;
  url: string;
  headers?: Record<string, string>;
}

export function claudeStoreKey(serverName: string, server: ClaudeServerKeyFields): string {
  const payload = JSON.stringify({ type: server.type, url: server.url, headers: server.headers || {} });
  return `${serverName}|${createHash('sha256').update(payload, 'utf8').digest('hex').slice(0, 16)}`;
}

/**
 * Claude's per-server refresh lock: `<config dir>/mcp-refresh-<key, every non-alphanumeric
 * replaced by _>.lock`.
 */
export function claudeRefreshLockName(key: string): string {
  return `mcp-refresh-${key.replace(/[^a-zA-Z0-9]/g, '_')}.lock`;
}

/**
 * The key Codex files an MCP server's OAuth credentials under, in its keyring (the account) and in
 * `$CODEX_HOME/.credentials.json` (the object key). INTEROP.md "The store key", measured against
 * Codex 0.171.0:
 *
 *   `<server_name>|<first 16 lowercase hex of sha256(P)>`, P = compact JSON
 *   `{"type":"http","url":<url>,"headers":{}}` in exactly that key order.
 *
 * `url` is taken exactly as written in config.toml (no normalization: a trailing slash is another
 * server) and `headers` is always empty, whatever `http_headers` the config sets.
 */
import { createHash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function codexStoreKey(serverName: string, url: string): string {
  // JSON.stringify escapes exactly like serde_json for strings (quotes, backslash, control
  // characters); both leave "/" and non-ASCII alone. Key order is insertion order.
  const payload = JSON.stringify({ type: 'http', url, headers: {} });
  return `${serverName}|${sha256Hex(payload).slice(0, 16)}`;
}

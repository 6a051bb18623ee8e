/**
 * The two shapes Codex stores an MCP OAuth login in (INTEROP.md, measured against Codex 0.171.0):
 *
 * - keyring secret (service "Codex MCP Credentials", account = store key), nested:
 *   `{"server_name","url","issuer","client_id","token_response":{"access_token","token_type",
 *   "expires_in","refresh_token","scope"},"expires_at"}`
 * - `.credentials.json` value (under the store key), flat:
 *   `{"server_name","server_url","issuer","client_id","access_token","expires_at","refresh_token","scopes"}`
 *
 * `expires_at` is epoch milliseconds in both; `expires_in` is ignored by Codex on load.
 * `token_type` is required in the keyring form (without it Codex cannot read the entry).
 * `issuer` must be the authorization server metadata's `issuer` verbatim, or Codex never refreshes.
 */
import type { StoredCredential } from '../../stores/credential';
import { EntryReader, isObject, type Fields } from '../../stores/entry-fields';

/** A login as Codex holds it: what Codex needs, nothing of ours (no resource, no secret). */
export interface CodexCredential {
  serverName: string;
  serverUrl: string;
  /** Absent in entries written by older Codex versions: then Codex cannot refresh. */
  issuer?: string;
  clientId: string;
  accessToken: string;
  tokenType: string;
  refreshToken?: string;
  expiresAt: number | null;
  scopes: string[];
}

export function codexCredentialFrom(server: { name: string; url: string }, credential: StoredCredential): CodexCredential {
  return {
    serverName: server.name,
    serverUrl: server.url,
    issuer: credential.issuer,
    clientId: credential.clientId,
    accessToken: credential.accessToken,
    tokenType: credential.tokenType,
    ...(credential.refreshToken ? { refreshToken: credential.refreshToken } : {}),
    expiresAt: credential.expiresAt,
    scopes: credential.scope.split(' ').filter(Boolean),
  };
}

/** oauth4webapi lower-cases `token_type`; Codex accepts any case, and writes "Bearer" itself. */
function tokenTypeForCodex(tokenType: string): string {
  return tokenType.toLowerCase() === 'bearer' ? 'Bearer' : tokenType;
}

export function toKeyringSecret(c: CodexCredential, now: number): string {
  const tokenResponse: Fields = { access_token: c.accessToken, token_type: tokenTypeForCodex(c.tokenType) };
  if (c.expiresAt !== null) tokenResponse.expires_in = Math.max(0, Math.round((c.expiresAt - now) / 1000));
  if (c.refreshToken) tokenResponse.refresh_token = c.refreshToken;
  if (c.scopes.length) tokenResponse.scope = c.scopes.join(' ');
  return JSON.stringify({
    server_name: c.serverName,
    url: c.serverUrl,
    issuer: c.issuer,
    client_id: c.clientId,
    token_response: tokenResponse,
    expires_at: c.expiresAt,
  });
}

export function parseKeyringSecret(value: Fields, where: string): CodexCredential {
  const entry = new EntryReader(where, value);
  const serverName = entry.string('server_name');
  const serverUrl = entry.string('url');
  const issuer = entry.optionalString('issuer');
  const clientId = entry.string('client_id', { allowEmpty: true });
  const tokens = entry.object('token_response');
  const accessToken = tokens.string('access_token');
  const tokenType = tokens.string('token_type');
  const refreshToken = tokens.optionalString('refresh_token');
  const scope = tokens.optionalString('scope');
  const expiresAt = entry.time('expires_at', true);
  return {
    serverName,
    serverUrl,
    ...(issuer ? { issuer } : {}),
    clientId,
    accessToken,
    tokenType,
    ...(refreshToken ? { refreshToken } : {}),
    expiresAt,
    scopes: (scope ?? '').split(' ').filter(Boolean),
  };
}

export function toFileEntry(c: CodexCredential): Fields {
  return {
    server_name: c.serverName,
    server_url: c.serverUrl,
    issuer: c.issuer,
    client_id: c.clientId,
    access_token: c.accessToken,
    expires_at: c.expiresAt,
    refresh_token: c.refreshToken,
    scopes: c.scopes,
  };
}

export function parseFileEntry(value: unknown, where: string): CodexCredential {
  if (!isObject(value)) return new EntryReader(where, {}).fail('(entry)', 'must be a JSON object');
  const entry = new EntryReader(where, value);
  const serverName = entry.string('server_name');
  const serverUrl = entry.string('server_url');
  const issuer = entry.optionalString('issuer');
  const clientId = entry.string('client_id', { allowEmpty: true });
  const accessToken = entry.string('access_token');
  const expiresAt = entry.time('expires_at', true);
  const refreshToken = entry.optionalString('refresh_token');
  const scopes = entry.stringArray('scopes', { optional: true });
  return {
    serverName,
    serverUrl,
    ...(issuer ? { issuer } : {}),
    clientId,
    accessToken,
    tokenType: 'Bearer',
    ...(refreshToken ? { refreshToken } : {}),
    expiresAt,
    scopes,
  };
}

/** Codex refreshes 30 s before `expires_at`. */
export const CODEX_REFRESH_MARGIN_MS = 30_000;

export interface CodexUsability {
  /** Codex will use it (`codex mcp list` says `o_auth`). */
  loggedIn: boolean;
  /** Codex can renew it by itself. */
  refreshCapable: boolean;
  /** When not refresh-capable: why, for status. */
  reason?: string;
}

/**
 * Codex's own rule (INTEROP.md "When Codex considers it logged in"): a non-empty client id and an
 * unexpired access token, or an expired one with a refresh token and an issuer.
 */
export function codexUsability(c: CodexCredential, now: number): CodexUsability {
  const canRefresh = Boolean(c.refreshToken) && Boolean(c.issuer) && c.clientId.length > 0;
  const fresh = c.expiresAt === null || c.expiresAt - now > CODEX_REFRESH_MARGIN_MS;
  const loggedIn = c.clientId.length > 0 && (fresh || canRefresh);
  if (canRefresh) return { loggedIn, refreshCapable: true };
  const reason = !c.clientId
    ? 'no client id stored'
    : !c.refreshToken
      ? 'no refresh token stored'
      : 'no issuer stored, so Codex never refreshes it';
  return { loggedIn, refreshCapable: false, reason };
}

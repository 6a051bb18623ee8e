/**
 * mcp-remote 0.15's two files per server (INTEROP.md "mcp-remote"; its bundle's
 * `OAuthTokensWithExpiresAtSchema` and `ClientInformationStoreSchema`):
 *
 * `<hash>_tokens.json`: the token response (`access_token`, `token_type`, `expires_in`, `scope`,
 * `refresh_token`, `id_token`) plus `expires_at` (epoch ms; it refreshes when 60 s or less remain),
 * `requested_scope` (the scope it asked for: a different request now discards the entry) and
 * `issuer` (the authorization server's issuer: another one discards the entry).
 *
 * `<hash>_client_info.json`: an RFC 7591 registration (`redirect_uris` required, `client_id`,
 * `client_secret`, `token_endpoint_auth_method`, …) plus `issuer`. It refreshes only with this file,
 * and deletes it at start when `redirect_uris` lacks its own callback URL.
 *
 * We write no `requested_scope`: mcp-remote compares request with request, and ours carries what a
 * provider rule adds (e.g. `offline_access`), so recording it would make mcp-remote throw away a
 * working login and open a browser. An entry without it is one mcp-remote leaves alone, and its own
 * first refresh records its request.
 */
import type { StoredCredential } from '../../stores/credential';
import { EntryReader, isObject, type Fields } from '../../stores/entry-fields';

export const MCP_REMOTE_REFRESH_MARGIN_MS = 60_000;

export interface McpRemoteTokens {
  accessToken: string;
  tokenType: string;
  refreshToken?: string;
  /** Epoch ms; null when the file has none (mcp-remote then never refreshes ahead of time). */
  expiresAt: number | null;
  scope?: string;
  issuer?: string;
}

export interface McpRemoteClientInfo {
  clientId: string;
  hasSecret: boolean;
  redirectUris: string[];
  issuer?: string;
}

/** The tokens file for a login, written `now`. Fields of an older file are not carried over. */
export function toTokensFile(c: StoredCredential, now: number): Fields {
  return {
    access_token: c.accessToken,
    token_type: c.tokenType,
    ...(c.expiresAt !== null ? { expires_in: Math.max(0, Math.round((c.expiresAt - now) / 1000)) } : {}),
    ...(c.scope ? { scope: c.scope } : {}),
    ...(c.refreshToken ? { refresh_token: c.refreshToken } : {}),
    issuer: c.issuer,
    ...(c.expiresAt !== null ? { expires_at: c.expiresAt } : {}),
  };
}

/** New tokens into an existing file of the same login, keeping its other fields (requested_scope). */
export function withNewTokens(existing: Fields, c: StoredCredential, now: number): Fields {
  const next: Fields = { ...existing, access_token: c.accessToken, token_type: c.tokenType };
  if (c.refreshToken) next.refresh_token = c.refreshToken;
  if (c.expiresAt !== null) {
    next.expires_in = Math.max(0, Math.round((c.expiresAt - now) / 1000));
    next.expires_at = c.expiresAt;
  } else {
    delete next.expires_in;
    delete next.expires_at;
  }
  delete next.id_token; // it belonged to the previous token response
  return next;
}

/**
 * The registration mcp-remote refreshes with: our client, listing the callback URL this mcp-remote
 * uses so it keeps the file at start. (Should it ever need a browser login, a provider that checks
 * registered redirect URIs may refuse that URL; logging in through the bridge again fixes it.)
 */
export function toClientInfoFile(c: StoredCredential, redirectUrl: string): Fields {
  return {
    redirect_uris: [redirectUrl],
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: 'mcp-login-bridge',
    client_id: c.clientId,
    ...(c.clientSecret ? { client_secret: c.clientSecret } : {}),
    issuer: c.issuer,
  };
}

export function parseTokensFile(where: string, doc: unknown): McpRemoteTokens {
  if (!isObject(doc)) new EntryReader(where, {}).fail('(file)', 'must hold a JSON object');
  const r = new EntryReader(where, doc as Fields);
  const fields = doc as Fields;
  const expiresAt = fields.expires_at;
  // mcp-remote coerces expires_at with Number(); a value that is no number is none to it.
  const expiry = expiresAt === undefined ? null : Number(expiresAt);
  if (expiry !== null && !Number.isFinite(expiry)) r.fail('expires_at', 'must be a number');
  return {
    accessToken: r.string('access_token'),
    tokenType: r.string('token_type'),
    ...(typeof fields.refresh_token === 'string' && fields.refresh_token ? { refreshToken: fields.refresh_token } : {}),
    expiresAt: expiry,
    ...(typeof fields.scope === 'string' ? { scope: fields.scope } : {}),
    ...(typeof fields.issuer === 'string' ? { issuer: fields.issuer } : {}),
  };
}

export function parseClientInfoFile(where: string, doc: unknown): McpRemoteClientInfo {
  if (!isObject(doc)) new EntryReader(where, {}).fail('(file)', 'must hold a JSON object');
  const fields = doc as Fields;
  const r = new EntryReader(where, fields);
  const uris = fields.redirect_uris;
  if (!Array.isArray(uris) || !uris.every((u) => typeof u === 'string')) r.fail('redirect_uris', 'must be an array of strings');
  return {
    clientId: r.string('client_id'),
    hasSecret: typeof fields.client_secret === 'string' && fields.client_secret.length > 0,
    redirectUris: uris as string[],
    ...(typeof fields.issuer === 'string' ? { issuer: fields.issuer } : {}),
  };
}

export interface McpRemoteUsability {
  /** mcp-remote will use the entry now, or can renew it by itself. */
  loggedIn: boolean;
  refreshCapable: boolean;
  expiresAt: number | null;
  /** Why it cannot refresh (or is not logged in); never a value. */
  reason?: string;
}

/** Whether mcp-remote, started as `launch` says, can use and refresh this entry. */
export function mcpRemoteUsability(
  tokens: McpRemoteTokens | undefined,
  client: McpRemoteClientInfo | undefined,
  launch: { redirectUrl: string; staticClient?: { clientId?: string } },
  now: number,
): McpRemoteUsability {
  if (!tokens) return { loggedIn: false, refreshCapable: false, expiresAt: null, reason: 'no login stored' };
  const valid = tokens.expiresAt === null || tokens.expiresAt - MCP_REMOTE_REFRESH_MARGIN_MS > now;
  const why = refreshBlocker(tokens, client, launch);
  return { loggedIn: valid || !why, refreshCapable: !why, expiresAt: tokens.expiresAt, ...(why ? { reason: why } : {}) };
}

function refreshBlocker(tokens: McpRemoteTokens, client: McpRemoteClientInfo | undefined, launch: { redirectUrl: string; staticClient?: { clientId?: string } }): string | undefined {
  if (!tokens.refreshToken) return 'no refresh token';
  if (launch.staticClient) return undefined;
  if (!client) return 'no client registration stored (client_info.json), which mcp-remote needs to refresh';
  if (!client.redirectUris.includes(launch.redirectUrl)) {
    return `its client registration lists another callback URL than ${launch.redirectUrl}, so mcp-remote deletes it at start`;
  }
  if (tokens.issuer && client.issuer && tokens.issuer.replace(/\/$/, '') !== client.issuer.replace(/\/$/, '')) {
    return 'its tokens and client registration name different issuers';
  }
  return undefined;
}

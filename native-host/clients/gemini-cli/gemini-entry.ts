/**
 * Gemini CLI's stored MCP login (`MCPOAuthCredentials`, gemini-cli 0.61.0 bundle,
 * `packages/core/dist/src/mcp/oauth-token-storage.js` `saveToken`):
 * `{serverName, token: {accessToken, tokenType, refreshToken?, expiresAt? (epoch ms), scope?},
 *   clientId?, tokenUrl?, mcpServerUrl?, updatedAt (epoch ms)}`
 *
 * How Gemini uses it (`oauth-provider.js` `getValidTokenWithMetadata`, `stored-token-provider.js`):
 * - expired when `now + 5 min >= expiresAt` (no `expiresAt`: never expired);
 * - an expired entry is refreshed only with `token.refreshToken`, a client id (the server's
 *   `oauth.clientId` in settings when `oauth.enabled`, else the stored `clientId`) and the stored
 *   `tokenUrl` (the token endpoint; Gemini does not re-discover it). Without them it is unused;
 * - the refresh posts `grant_type=refresh_token, refresh_token, client_id`, `client_secret` only from
 *   the server's settings (`oauth.clientSecret`, when `oauth.enabled`), `scope` from settings
 *   `oauth.scopes`, and `resource` = the stored `mcpServerUrl` without query or fragment;
 * - a refresh that fails **deletes the entry**, so an entry that cannot refresh is worse than none
 *   once the access token is spent: a confidential client needs its secret in Gemini's settings.
 * - The refreshed token is written back (a response without a refresh token keeps the old one).
 */
import type { StoredCredential } from '../../stores/credential';
import { EntryReader, isObject, type Fields } from '../../stores/entry-fields';
import type { GeminiServer } from './gemini-settings';

/** Gemini's expiry buffer (`isTokenExpired` in oauth-token-storage.js and base-token-storage.js). */
export const GEMINI_EXPIRY_BUFFER_MS = 5 * 60 * 1000;

export interface GeminiCredential {
  serverName: string;
  accessToken: string;
  tokenType?: string;
  refreshToken?: string;
  expiresAt: number | null;
  scope?: string;
  clientId?: string;
  tokenUrl?: string;
  mcpServerUrl?: string;
  updatedAt?: number;
}

/** Gemini's entry for a fresh login; nothing of an older entry is carried over (another grant). */
export function toGeminiEntry(server: { name: string; url: string }, c: StoredCredential, tokenUrl: string, now: number): Fields {
  return {
    serverName: server.name,
    token: {
      accessToken: c.accessToken,
      tokenType: c.tokenType || 'Bearer',
      ...(c.refreshToken ? { refreshToken: c.refreshToken } : {}),
      ...(c.scope ? { scope: c.scope } : {}),
      ...(c.expiresAt !== null ? { expiresAt: c.expiresAt } : {}),
    },
    clientId: c.clientId,
    tokenUrl,
    mcpServerUrl: server.url,
    updatedAt: now,
  };
}

/** An existing entry with new tokens (a rotation sync): its names, client id and URLs stay as Gemini has them. */
export function withNewTokens(entry: Fields, tokens: { accessToken: string; tokenType?: string; refreshToken?: string; expiresAt: number | null }, now: number): Fields {
  const token = isObject(entry.token) ? entry.token : {};
  const { expiresAt: _old, ...rest } = token;
  return {
    ...entry,
    token: {
      ...rest,
      accessToken: tokens.accessToken,
      ...(tokens.tokenType ? { tokenType: tokens.tokenType } : {}),
      ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
      ...(tokens.expiresAt !== null ? { expiresAt: tokens.expiresAt } : {}),
    },
    updatedAt: now,
  };
}

export function parseGeminiEntry(value: unknown, where: string): GeminiCredential {
  if (!isObject(value)) return new EntryReader(where, {}).fail('(entry)', 'must be a JSON object');
  const entry = new EntryReader(where, value);
  const token = entry.object('token');
  const optional = (reader: EntryReader, field: string) => reader.optionalString(field) || undefined;
  const expiresAt = token.optionalNumber('expiresAt');
  const fields = {
    tokenType: optional(token, 'tokenType'),
    refreshToken: optional(token, 'refreshToken'),
    scope: optional(token, 'scope'),
    clientId: optional(entry, 'clientId'),
    tokenUrl: optional(entry, 'tokenUrl'),
    mcpServerUrl: optional(entry, 'mcpServerUrl'),
    updatedAt: entry.optionalNumber('updatedAt'),
  };
  return {
    serverName: entry.string('serverName'),
    accessToken: token.string('accessToken'),
    // 0 is falsy in Gemini's check: no expiry.
    expiresAt: expiresAt ? expiresAt : null,
    ...(Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<GeminiCredential>),
  };
}

export function geminiExpired(c: { expiresAt: number | null }, now: number): boolean {
  return c.expiresAt !== null && now + GEMINI_EXPIRY_BUFFER_MS >= c.expiresAt;
}

export interface GeminiUsability {
  loggedIn: boolean;
  refreshCapable: boolean;
  reason?: string;
}

/** What a confidential client needs in Gemini's settings; known only from our own entry. */
export interface ClientKind {
  clientId: string;
  /** True when the token endpoint wants a client secret (client_secret_post/basic). */
  confidential: boolean;
}

/**
 * Gemini's own rules, plus what its settings must hold for a refresh to succeed rather than delete
 * the entry. `client` (from our entry for the same login) says whether a secret is needed.
 */
export function geminiUsability(c: GeminiCredential, server: GeminiServer, now: number, client?: ClientKind): GeminiUsability {
  const oauth = server.config.oauth?.enabled ? server.config.oauth : undefined;
  const clientId = oauth?.clientId ?? c.clientId;
  const canRefresh = Boolean(c.refreshToken && clientId && c.tokenUrl);
  const loggedIn = !geminiExpired(c, now) || canRefresh;
  if (!canRefresh) {
    const reason = !c.refreshToken ? 'no refresh token stored' : !clientId ? 'no client id stored' : 'no token URL (tokenUrl) stored';
    return { loggedIn, refreshCapable: false, reason };
  }
  const advice = geminiClientAdvice(server, client ?? { clientId: c.clientId ?? clientId!, confidential: false });
  if (advice.kind !== 'ok') return { loggedIn, refreshCapable: false, reason: advice.kind === 'client-id-mismatch' ? `its settings set another client id (${advice.configured})` : 'its settings lack the client secret its refresh needs' };
  return { loggedIn, refreshCapable: true };
}

export type GeminiClientAdvice =
  | { kind: 'ok' }
  | { kind: 'client-id-mismatch'; configured: string; stored: string }
  | { kind: 'missing-secret'; clientId: string };

/** Whether Gemini's settings for this server let it refresh a login made with `client`. */
export function geminiClientAdvice(server: GeminiServer, client: ClientKind): GeminiClientAdvice {
  const oauth = server.config.oauth?.enabled ? server.config.oauth : undefined;
  if (oauth?.clientId && oauth.clientId !== client.clientId) return { kind: 'client-id-mismatch', configured: oauth.clientId, stored: client.clientId };
  if (client.confidential && !oauth?.clientSecret) return { kind: 'missing-secret', clientId: client.clientId };
  return { kind: 'ok' };
}

/** The sentence `login` and `status` show; a client secret is never in it, only where the user keeps it. */
export function describeGeminiAdvice(advice: GeminiClientAdvice, server: GeminiServer, secretSource: string): string | undefined {
  if (advice.kind === 'ok') return undefined;
  const file = server.source.replace(/ \((user|project)\)$/, '');
  if (advice.kind === 'client-id-mismatch') {
    return (
      `Gemini CLI's ${file} sets oauth.clientId "${advice.configured}" for ${server.name}, but this login used client "${advice.stored}": ` +
      `Gemini would refresh with the wrong client and then delete the login, so it was not written. Set mcpServers.${server.name}.oauth.clientId to "${advice.stored}" and log in again.`
    );
  }
  return (
    `Gemini CLI refreshes ${server.name} only with the client secret in its settings (it never stores one), and deletes the login when a refresh fails: ` +
    `add to mcpServers.${server.name} in ${file}:\n  "oauth": { "enabled": true, "clientId": ${JSON.stringify(advice.clientId)}, "clientSecret": "<the client secret, as in ${secretSource}>" }`
  );
}

/**
 * Claude Code's stored MCP login: `mcpOAuth[<key>]` in its secure storage (INTEROP.md "Entry under
 * mcpOAuth[key]"; checked against Claude Code 2.1.197's bundle):
 * `{serverName, serverUrl, clientId, clientSecret?, redirectUri?, issuer, accessToken, refreshToken,
 *   expiresAt (epoch ms), scope, discoveryState: {authorizationServerUrl, resourceMetadataUrl?,
 *   oauthMetadataFound, authServerMetadataUrl?}}`
 *
 * Claude refreshes when 300 s or less remain, using the entry's clientId and clientSecret (else the
 * secret in `mcpOAuthClientConfig[key]` when the configured client id matches), and re-discovers the
 * token endpoint from `discoveryState.authorizationServerUrl`.
 */
import type { StoredCredential } from '../../stores/credential';
import { EntryReader, isObject, type Fields } from '../../stores/entry-fields';

export interface ClaudeDiscoveryState {
  authorizationServerUrl: string;
  resourceMetadataUrl?: string;
}

export interface ClaudeCredential {
  serverName: string;
  serverUrl: string;
  clientId?: string;
  clientSecret?: string;
  issuer?: string;
  accessToken?: string;
  refreshToken?: string;
  expiresAt: number | null;
  scope?: string;
  authorizationServerUrl?: string;
}

/** The entry for a fresh login; fields of an older entry are not carried over (they belong to another grant). */
export function toClaudeEntry(server: { name: string; url: string }, c: StoredCredential, discovery: ClaudeDiscoveryState): Fields {
  return {
    serverName: server.name,
    serverUrl: server.url,
    clientId: c.clientId,
    ...(c.clientSecret ? { clientSecret: c.clientSecret } : {}),
    issuer: c.issuer,
    accessToken: c.accessToken,
    ...(c.refreshToken ? { refreshToken: c.refreshToken } : {}),
    ...(c.expiresAt !== null ? { expiresAt: c.expiresAt } : {}),
    scope: c.scope,
    discoveryState: {
      authorizationServerUrl: discovery.authorizationServerUrl,
      ...(discovery.resourceMetadataUrl ? { resourceMetadataUrl: discovery.resourceMetadataUrl } : {}),
      oauthMetadataFound: true,
    },
  };
}

export function parseClaudeEntry(value: unknown, where: string): ClaudeCredential {
  if (!isObject(value)) return new EntryReader(where, {}).fail('(entry)', 'must be a JSON object');
  const entry = new EntryReader(where, value);
  const optional = (field: string) => entry.optionalString(field) || undefined;
  const credential: ClaudeCredential = {
    serverName: entry.string('serverName'),
    serverUrl: entry.string('serverUrl'),
    expiresAt: entry.time('expiresAt', true),
  };
  const clientId = optional('clientId');
  const clientSecret = optional('clientSecret');
  const issuer = optional('issuer');
  const accessToken = optional('accessToken');
  const refreshToken = optional('refreshToken');
  const scope = entry.optionalString('scope');
  const discovery = entry.optionalObject('discoveryState');
  const authorizationServerUrl = discovery?.optionalString('authorizationServerUrl') || undefined;
  return {
    ...credential,
    ...(clientId ? { clientId } : {}),
    ...(clientSecret ? { clientSecret } : {}),
    ...(issuer ? { issuer } : {}),
    ...(accessToken ? { accessToken } : {}),
    ...(refreshToken ? { refreshToken } : {}),
    ...(scope !== undefined ? { scope } : {}),
    ...(authorizationServerUrl ? { authorizationServerUrl } : {}),
  };
}

export interface ClaudeUsability {
  loggedIn: boolean;
  refreshCapable: boolean;
  reason?: string;
}

export function claudeUsability(c: ClaudeCredential, now: number): ClaudeUsability {
  const fresh = Boolean(c.accessToken) && (c.expiresAt === null || c.expiresAt > now);
  const canRefresh = Boolean(c.refreshToken) && Boolean(c.clientId);
  const loggedIn = fresh || canRefresh;
  if (canRefresh && c.issuer) return { loggedIn, refreshCapable: true };
  const reason = !c.refreshToken ? 'no refresh token stored' : !c.clientId ? 'no client id stored' : 'no issuer stored';
  return { loggedIn, refreshCapable: false, reason };
}

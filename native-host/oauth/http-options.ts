/**
 * Per-request options for oauth4webapi. It refuses plain http unless told otherwise; we allow it
 * for loopback hosts only (local and test servers), and check every endpoint a metadata document
 * names, so a loopback issuer cannot point the token request at a plain-http remote host. Every
 * request goes through guardedFetch (where it may connect, how much it may read).
 */
import * as oauth from 'oauth4webapi';
import { isLocalHost } from '../../shared/local-host';
import { isLoopbackHost } from '../../shared/loopback';
import { assertSecureUrl } from '../../shared/secure-url';
import { requestTimeoutMs } from '../http/request-timeout';
import type { WarmConnection } from '../http/warm-connection';
import { guardedFetch, type NetworkPolicy } from './guarded-fetch';

export type { NetworkPolicy } from './guarded-fetch';
// The check itself is in shared/ so the host config (below oauth/) can use it too.
export { assertSecureUrl } from '../../shared/secure-url';

export { REQUEST_TIMEOUT_MS, requestTimeoutMs } from '../http/request-timeout';

export interface HttpOptions {
  [oauth.allowInsecureRequests]?: true;
  [oauth.customFetch]: typeof fetch;
  signal: AbortSignal;
}

/**
 * Options for one request to `url` on behalf of a login whose MCP server has `policy`. Without a
 * policy, the URL's own: safe only for URLs that discovery already checked under the server's.
 * `onSent` is called once the request is on its way; `warm` is a connection opened ahead for it
 * (guarded-fetch.ts `preconnect`, under the same policy).
 */
export function httpOptions(url: URL | string, policy: NetworkPolicy = policyFor(url), onSent?: () => void, warm?: WarmConnection): HttpOptions {
  const u = typeof url === 'string' ? new URL(url) : url;
  const signal = AbortSignal.timeout(requestTimeoutMs());
  const guard = { ...(onSent ? { onSent } : {}), ...(warm ? { warm } : {}) };
  const base = { signal, [oauth.customFetch]: guardedFetch(policy, guard) as typeof fetch };
  return isLoopbackHost(u.hostname) && u.protocol === 'http:' ? { ...base, [oauth.allowInsecureRequests]: true } : base;
}

/**
 * The policy for a login to this MCP server: local URLs are allowed only when the server itself
 * is local (by any name, see isLocalHost; the user chose it). A server on a DNS name that resolves
 * to this machine counts as remote, and its requests are refused at connect time.
 */
export function policyFor(url: URL | string): NetworkPolicy {
  return { allowLoopback: isLocalHost(new URL(url).hostname) };
}

const ENDPOINT_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'registration_endpoint',
  'revocation_endpoint',
  'jwks_uri',
  'userinfo_endpoint',
  'introspection_endpoint',
] as const;

/** Every endpoint the authorization server metadata names must be https or loopback http. */
export function assertSecureEndpoints(as: oauth.AuthorizationServer, policy: NetworkPolicy): void {
  for (const field of ENDPOINT_FIELDS) {
    const value = as[field];
    if (typeof value === 'string') assertSecureUrl(value, `authorization server metadata "${field}"`, policy);
  }
}

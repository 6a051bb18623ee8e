/**
 * Per-request options for oauth4webapi. It refuses plain http unless told otherwise; we allow it
 * for loopback hosts only (local and test servers), and check every endpoint a metadata document
 * names, so a loopback issuer cannot point the token request at a plain-http remote host. Every
 * request goes through guardedFetch (where it may connect, how much it may read).
 */
import * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { isLocalHost } from '../../shared/local-host';
import { isLoopbackHost, isSecureOrLoopback } from '../../shared/loopback';
import { hasOnlyUriChars } from '../../shared/url-chars';
import { requestTimeoutMs } from '../http/request-timeout';
import { guardedFetch, type NetworkPolicy } from './guarded-fetch';

export type { NetworkPolicy } from './guarded-fetch';

export { REQUEST_TIMEOUT_MS, requestTimeoutMs } from '../http/request-timeout';

export interface HttpOptions {
  [oauth.allowInsecureRequests]?: true;
  [oauth.customFetch]: typeof fetch;
  signal: AbortSignal;
}

/**
 * Options for one request to `url` on behalf of a login whose MCP server has `policy`. Without a
 * policy, the URL's own: safe only for URLs that discovery already checked under the server's.
 */
export function httpOptions(url: URL | string, policy: NetworkPolicy = policyFor(url)): HttpOptions {
  const u = typeof url === 'string' ? new URL(url) : url;
  const signal = AbortSignal.timeout(requestTimeoutMs());
  const base = { signal, [oauth.customFetch]: guardedFetch(policy) as typeof fetch };
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

/**
 * Throws InsecureEndpoint naming the field when a URL is neither https nor loopback http, is local
 * under a policy that forbids it, or holds characters outside RFC 3986's set (these reach other
 * programs: the authorize URL is handed to the system browser opener).
 */
export function assertSecureUrl(value: string, what: string, policy?: NetworkPolicy): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProtocolError(ErrorCode.DiscoveryFailed, `${what} is not a valid URL: ${JSON.stringify(value).slice(0, 200)}`);
  }
  if (!hasOnlyUriChars(url.href)) {
    throw new ProtocolError(
      ErrorCode.InsecureEndpoint,
      `${what} holds characters a URL may not contain (RFC 3986: only unreserved and reserved characters and %XX escapes); refusing ${JSON.stringify(
        url.href,
      ).slice(0, 200)}`,
    );
  }
  if (policy && !policy.allowLoopback && isLocalHost(url.hostname)) {
    throw new ProtocolError(ErrorCode.InsecureEndpoint, `${what} points at this machine (${url.origin}) but the server is not local; refusing it`);
  }
  if (!isSecureOrLoopback(url)) {
    throw new ProtocolError(
      ErrorCode.InsecureEndpoint,
      // The path too (never the query: it may carry parameters): with several servers on one host, it says which.
      `${what} must use https (plain http is allowed only for 127.0.0.1, localhost and [::1]); got ${describeOrigin(url)}${url.origin === 'null' ? '' : url.pathname}`,
    );
  }
  return url;
}

/**
 * The origin of a URL for a message. URLs of schemes without an origin (file:, javascript:, data:)
 * have the origin "null", which names nothing: for them the scheme is what is wrong.
 */
function describeOrigin(url: URL): string {
  return url.origin === 'null' ? `a ${url.protocol} URL` : url.origin;
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

/**
 * Per-request options for oauth4webapi. It refuses plain http unless told otherwise; we allow it
 * for loopback hosts only (local and test servers), and check every endpoint a metadata document
 * names, so a loopback issuer cannot point the token request at a plain-http remote host.
 */
import * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { isLoopbackHost, isSecureOrLoopback } from '../../shared/loopback';

/** Bounds every request the host makes: a hung server must not hang a login. */
export const REQUEST_TIMEOUT_MS = 15_000;

/**
 * MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS overrides the bound (1 s to 5 min) for slow networks and proxies;
 * anything else in it is ignored rather than trusted.
 */
export function requestTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS);
  return Number.isInteger(value) && value >= 1000 && value <= 300_000 ? value : REQUEST_TIMEOUT_MS;
}

export function httpOptions(url: URL | string): { [oauth.allowInsecureRequests]?: true; signal: AbortSignal } {
  const u = typeof url === 'string' ? new URL(url) : url;
  const signal = AbortSignal.timeout(requestTimeoutMs());
  return isLoopbackHost(u.hostname) && u.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true, signal } : { signal };
}

/**
 * Whether a login may touch this machine's loopback interface. Only a server that is itself on
 * loopback may name loopback URLs: otherwise a remote server could make the host send requests
 * to local services (its metadata names the URLs the host fetches).
 */
export interface NetworkPolicy {
  allowLoopback: boolean;
}

export function policyFor(url: URL | string): NetworkPolicy {
  return { allowLoopback: isLoopbackHost(new URL(url).hostname) };
}

/**
 * Throws InsecureEndpoint naming the field when a URL is neither https nor loopback http, or is
 * loopback under a policy that forbids it.
 */
export function assertSecureUrl(value: string, what: string, policy?: NetworkPolicy): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProtocolError(ErrorCode.DiscoveryFailed, `${what} is not a valid URL: ${JSON.stringify(value).slice(0, 200)}`);
  }
  if (policy && !policy.allowLoopback && isLoopbackHost(url.hostname)) {
    throw new ProtocolError(ErrorCode.InsecureEndpoint, `${what} points at this machine (${url.origin}) but the server is not local; refusing it`);
  }
  if (!isSecureOrLoopback(url)) {
    throw new ProtocolError(
      ErrorCode.InsecureEndpoint,
      `${what} must use https (plain http is allowed only for 127.0.0.1, localhost and [::1]); got ${url.origin}`,
    );
  }
  return url;
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

/**
 * The check of an endpoint URL the host will send requests to (an issuer, a metadata document's
 * endpoints, a configured server): https, or plain http to loopback only, in RFC 3986's characters.
 * Pure URL work, used by discovery and by the host config alike.
 */
import { ErrorCode, ProtocolError } from './errors';
import { isLocalHost } from './local-host';
import { isSecureOrLoopback } from './loopback';
import { hasOnlyUriChars } from './url-chars';

/**
 * Throws InsecureEndpoint naming the field when a URL is neither https nor loopback http, is local
 * under a policy that forbids it, or holds characters outside RFC 3986's set (these reach other
 * programs: the authorize URL is handed to the system browser opener).
 */
export function assertSecureUrl(value: string, what: string, policy?: { allowLoopback: boolean }): URL {
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


/**
 * The error for a failure of the way to the server rather than of the server, and the one wording
 * of the failures Node reports (errno codes, OpenSSL's certificate codes) for every HTTP client in
 * the host: the login and refresh requests (http-request.ts) and `connect`'s fetch
 * (connect/http-fetch.ts). Its own module, importing no network code, so that the connection code
 * (open-connection.ts) and both clients share it without importing each other, and `connect` words
 * a failure without loading TLS.
 */
import { proxyLabel, type ProxyChoice } from './proxy-env';

/**
 * Every kind, in one list a test compares with PROTOCOL.md (`connect`'s `data.network`): adding a
 * kind here without documenting it fails that test.
 */
export const NETWORK_FAILURES = ['dns', 'refused', 'timeout', 'unreachable', 'tls', 'proxy-refused', 'proxy-unreachable'] as const;

export type NetworkFailure = (typeof NETWORK_FAILURES)[number];

/** A failure of the way to the server rather than of the server: says which part, and what to set. */
export class NetworkError extends Error {
  constructor(
    readonly kind: NetworkFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

/** errno codes of a name that does not resolve (now, or at all). PROTOCOL.md lists them (a test compares). */
export const DNS_FAILURE_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);
/** errno codes of a network path that broke or does not exist. PROTOCOL.md lists them (a test compares). */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

/**
 * "fetch failed" tells nobody what to do. A failure to reach the server is one of a few kinds, and
 * each has its own next step: a name that does not resolve (a typo, or offline), nothing listening
 * (the server is down), no answer in time (slow or down: try later), a broken path (the network).
 */
export function connectionFailure(err: unknown, url: URL, signal: AbortSignal | undefined): NetworkError | undefined {
  if (err instanceof NetworkError) return undefined;
  const where = url.host;
  const reason: unknown = signal?.aborted ? signal.reason : undefined;
  if ((reason instanceof Error || reason instanceof DOMException) && reason.name === 'TimeoutError') {
    return new NetworkError('timeout', `${where} did not answer in time (timed out); the server or the network is slow or down: try again later (MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS sets the limit)`, { cause: err });
  }
  const code = typeof (err as NodeJS.ErrnoException)?.code === 'string' ? (err as NodeJS.ErrnoException).code! : '';
  if (DNS_FAILURE_CODES.has(code)) {
    return new NetworkError('dns', `the name ${url.hostname} could not be found (DNS lookup failed, ${code}); check the URL for a typo and that this machine is online`, { cause: err });
  }
  if (code === 'ECONNREFUSED') {
    return new NetworkError('refused', `${where} refused the connection (ECONNREFUSED): nothing is listening there; check that the server is running and the URL's port is right, or try again later`, { cause: err });
  }
  if (UNREACHABLE_CODES.has(code)) {
    return new NetworkError('unreachable', `${where} could not be reached (${code}); check this machine's network connection and try again`, { cause: err });
  }
  return undefined;
}

/** OpenSSL's verification codes for a certificate chain this machine does not trust. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const OTHER_TLS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_REVOKED', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER']);

/** A certificate or TLS handshake failure, with what to set for a company CA; undefined for anything else. */
export function tlsFailure(err: NodeJS.ErrnoException, host: string, proxy: ProxyChoice | undefined): NetworkError | undefined {
  const code = err.code ?? '';
  const via = proxy ? ` (through the proxy ${proxyLabel(proxy)})` : '';
  if (UNTRUSTED.has(code)) {
    return new NetworkError(
      'tls',
      `TLS: the certificate of ${host}${via} is not signed by a CA this machine trusts (${code}); if your network inspects TLS with a company CA, ` +
        'set NODE_EXTRA_CA_CERTS to its PEM file (in the environment of the browser and of every program that runs mcp-login-bridge)',
      { cause: err },
    );
  }
  if (OTHER_TLS.has(code) || /^ERR_SSL_|^ERR_TLS_/.test(code)) {
    return new NetworkError('tls', `TLS with ${host}${via} failed (${code}: ${err.message})`, { cause: err });
  }
  return undefined;
}

/**
 * A failure of the way to `url` as the host words it (TLS, DNS, refused, timeout, unreachable), or
 * undefined when `err` is none of those (a NetworkError already worded is one of those cases).
 * `signal`: the request's, whose TimeoutError reason makes any failure a timeout.
 */
export function networkFailure(err: unknown, url: URL, proxy: ProxyChoice | undefined, signal: AbortSignal | undefined): NetworkError | undefined {
  return tlsFailure(err as NodeJS.ErrnoException, url.host, proxy) ?? connectionFailure(err, url, signal);
}

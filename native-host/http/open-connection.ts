/**
 * A socket to a server, opened the way the environment says: directly, or through the proxy that
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY choose (proxy-env.ts) by a CONNECT tunnel, for https and http
 * URLs alike, as undici's ProxyAgent does. TLS is end to end with the server; a proxy's refusal is
 * the answer to CONNECT, never mistaken for the server's own answer. Certificates are checked
 * against Node's CA list, which includes NODE_EXTRA_CA_CERTS, and the system store where this Node
 * offers it (tls.getCACertificates, Node 22.15+).
 *
 * One module for every HTTP client in the host: the login/refresh requests (http-request.ts) and
 * `connect`'s pooled fetch (connect/http-fetch.ts) must choose the same proxy and trust the same
 * CAs, or a login would work where `connect` then fails.
 */
import { request as httpRequestRaw, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import * as tls from 'node:tls';
import { NetworkError } from './network-error';
import { proxyFor, proxyLabel, type ProxyChoice } from './proxy-env';

let caList: string[] | null | undefined;
/** Node's CA list plus the system store, where Node can read it; null: Node's default context. */
function certificateAuthorities(): string[] | null {
  if (caList !== undefined) return caList;
  const get = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  try {
    caList = get ? [...new Set([...get('default'), ...get('system')])] : null;
  } catch {
    caList = null;
  }
  return caList;
}

export function tlsOptions(host: string): tls.ConnectionOptions {
  const ca = certificateAuthorities();
  return { servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], ...(ca ? { ca } : {}) };
}

function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

function proxyAuthorization(proxy: ProxyChoice): string | undefined {
  const { username, password } = proxy.url;
  if (!username && !password) return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64')}`;
}

/** A connection to the proxy itself (http, or TLS to an https proxy). */
function connectToProxy(proxy: ProxyChoice): Socket {
  const host = hostOf(proxy.url);
  const options = { host, port: portOf(proxy.url) };
  return proxy.url.protocol === 'https:' ? tls.connect({ ...options, ...tlsOptions(host) }) : netConnect(options);
}

function proxyUnreachable(proxy: ProxyChoice, err: Error): NetworkError {
  return new NetworkError(
    'proxy-unreachable',
    `could not reach the proxy ${proxyLabel(proxy)}: ${err.message}; check the variable, or list the server's host in NO_PROXY to connect directly`,
    { cause: err },
  );
}

function proxyRefused(proxy: ProxyChoice, target: string, status: number, statusText: string): NetworkError {
  const hint =
    status === 407
      ? 'the proxy wants credentials: put them in the variable (http://user:password@proxy:port)'
      : "check that the proxy allows this host, or list the host in NO_PROXY to connect directly";
  return new NetworkError('proxy-refused', `the proxy ${proxyLabel(proxy)} refused to connect to ${target} (HTTP ${status}${statusText ? ` ${statusText}` : ''}); ${hint}`);
}

/**
 * Why a CONNECT was stopped before the proxy answered: a timeout is the host's "timeout" failure,
 * naming the proxy (it, not the server, kept silent); a cancel is the AbortError that Node's http
 * module gives a cancelled request.
 */
function tunnelStopped(proxy: ProxyChoice, target: string, signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if ((reason instanceof Error || reason instanceof DOMException) && reason.name === 'TimeoutError') {
    return new NetworkError(
      'timeout',
      `the proxy ${proxyLabel(proxy)} did not answer the request to connect to ${target} in time (timed out); the proxy or the network is slow or down: ` +
        'try again later, or list the host in NO_PROXY to connect directly (MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS sets the limit)',
      { cause: reason },
    );
  }
  return Object.assign(new Error('The operation was aborted', { cause: reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/**
 * CONNECT host:port through the proxy; resolves with the raw tunnel once the proxy said 2xx. The
 * signal is watched until then: a proxy that takes the connection and never answers would
 * otherwise hold the socket, and the request waiting for it, forever.
 */
function tunnel(proxy: ProxyChoice, url: URL, signal: AbortSignal | undefined): Promise<Socket> {
  const target = `${url.hostname}:${portOf(url)}`;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(tunnelStopped(proxy, target, signal));
    const headers: OutgoingHttpHeaders = { host: target };
    const auth = proxyAuthorization(proxy);
    if (auth) headers['proxy-authorization'] = auth;
    const req = httpRequestRaw({ method: 'CONNECT', path: target, headers, createConnection: () => connectToProxy(proxy) });
    let settled = false;
    const stop = () => {
      req.destroy();
      fail(tunnelStopped(proxy, target, signal!));
    };
    function fail(error: Error): void {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', stop);
      reject(error);
    }
    signal?.addEventListener('abort', stop, { once: true });
    req.once('connect', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      if (settled || res.statusCode !== 200 || head.length > 0) {
        socket.destroy();
        fail(proxyRefused(proxy, target, res.statusCode ?? 0, res.statusMessage ?? ''));
        return;
      }
      settled = true;
      signal?.removeEventListener('abort', stop);
      resolve(socket);
    });
    // A proxy that answers CONNECT with an ordinary response (e.g. 403 with a body) lands here.
    req.once('response', (res: IncomingMessage) => {
      res.resume();
      fail(proxyRefused(proxy, target, res.statusCode ?? 0, res.statusMessage ?? ''));
    });
    // `on`: the socket destroyed by a stop may report its own error after the first.
    req.on('error', (err) => fail(proxyUnreachable(proxy, err)));
    req.end();
  });
}

export interface OpenConnectionOptions {
  /** Default process.env (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Resolver for direct connections (the connect-time address check). A proxy resolves for itself. */
  lookup?: LookupFunction;
  /**
   * Stops a CONNECT the proxy has not answered yet: the socket to the proxy is destroyed, and the
   * promise rejects with NetworkError "timeout" when the signal's reason is a TimeoutError
   * (AbortSignal.timeout), else with an AbortError. A direct connection does not watch it.
   */
  signal?: AbortSignal;
}

export interface OpenedConnection {
  /** To the server: TLS for an https URL (its handshake may still be under way: errors come on the socket). */
  socket: Socket;
  /** The proxy it goes through, for messages (network-error.ts's tlsFailure); undefined when direct. */
  proxy: ProxyChoice | undefined;
}

/**
 * A connection to `url`'s origin, through the proxy when one applies. Resolves once the tunnel is
 * open (a proxy's refusal or absence rejects with NetworkError proxy-refused / proxy-unreachable);
 * failures of the direct connection and of TLS come later, as errors on the socket.
 *
 * @throws ProtocolError DiscoveryFailed when a proxy variable is not a proxy URL (proxyFor).
 */
export async function openConnection(url: URL, options: OpenConnectionOptions = {}): Promise<OpenedConnection> {
  const proxy = proxyFor(url, options.env);
  const https = url.protocol === 'https:';
  const host = hostOf(url);
  if (proxy) {
    const raw = await tunnel(proxy, url, options.signal);
    // `host` too: the certificate is checked against it (tls.connect assumes localhost otherwise).
    return { socket: https ? tls.connect({ socket: raw, host, ...tlsOptions(host) }) : raw, proxy };
  }
  const target = { host, port: portOf(url), ...(options.lookup ? { lookup: options.lookup } : {}) };
  return { socket: https ? tls.connect({ ...target, ...tlsOptions(host) }) : netConnect(target), proxy };
}

/**
 * One HTTP request with Node's own http/tls modules: the transport under guardedFetch, for every
 * request the host makes (discovery, registration, token, refresh, revocation).
 *
 * Why not fetch/undici: undici compiles its HTTP parser (WebAssembly) when it loads, and a
 * refreshing `token` then waits for that compile before it can exit; the host makes a handful of
 * small requests per login, which Node's http module serves at no start-up cost. One connection per
 * request (no pool): nothing lingers to keep a process alive.
 *
 * Corporate networks: a proxy from the environment (proxy-env.ts) is reached by a CONNECT tunnel
 * for https and http URLs alike, as undici's ProxyAgent does (TLS is end to end with the server;
 * a proxy's refusal is the answer to CONNECT, never mistaken for the server's own answer). Certificates are checked against Node's CA list, which includes NODE_EXTRA_CA_CERTS, and
 * the system store where this Node offers it (tls.getCACertificates, Node 22.15+). Failures of the
 * proxy and of TLS come back as NetworkError naming which, and what to set.
 */
import { request as httpRequestRaw, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import * as tls from 'node:tls';
import { proxyFor, proxyLabel, type ProxyChoice } from './proxy-env';

export interface HttpRequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  signal?: AbortSignal;
  /** Resolver for direct connections (the connect-time address check). A proxy resolves for itself. */
  lookup?: LookupFunction;
  /** Past this many body bytes the request is aborted and `tooLarge` thrown. */
  maxBytes: number;
  /** false: status and headers only; the body is not read. */
  readBody: boolean;
  tooLarge: () => Error;
  /** Default process.env (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Called once the request (headers and body) has been handed to the operating system. */
  onSent?: () => void;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  /** In arrival order, repeated names kept (several WWW-Authenticate challenges). */
  headers: Array<[string, string]>;
  body: Uint8Array<ArrayBuffer> | null;
}

export type NetworkFailure = 'proxy-unreachable' | 'proxy-refused' | 'tls' | 'dns' | 'refused' | 'timeout' | 'unreachable';

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

function tlsFailure(err: NodeJS.ErrnoException, host: string, proxy: ProxyChoice | undefined): NetworkError | undefined {
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

function tlsOptions(host: string): tls.ConnectionOptions {
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

/** CONNECT host:port through the proxy; resolves with the raw tunnel once the proxy said 2xx. */
function tunnel(proxy: ProxyChoice, url: URL, signal: AbortSignal | undefined): Promise<Socket> {
  const target = `${url.hostname}:${portOf(url)}`;
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = { host: target };
    const auth = proxyAuthorization(proxy);
    if (auth) headers['proxy-authorization'] = auth;
    const req = httpRequestRaw({ method: 'CONNECT', path: target, headers, createConnection: () => connectToProxy(proxy), signal });
    req.once('connect', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      if (res.statusCode !== 200 || head.length > 0) {
        socket.destroy();
        reject(proxyRefused(proxy, target, res.statusCode ?? 0, res.statusMessage ?? ''));
        return;
      }
      resolve(socket);
    });
    // A proxy that answers CONNECT with an ordinary response (e.g. 403 with a body) lands here.
    req.once('response', (res: IncomingMessage) => {
      res.resume();
      reject(proxyRefused(proxy, target, res.statusCode ?? 0, res.statusMessage ?? ''));
    });
    req.once('error', (err) => reject(err.name === 'AbortError' ? err : proxyUnreachable(proxy, err)));
    req.end();
  });
}

async function readBody(res: IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      // Destroying the response closes the connection: the rest is never downloaded.
      res.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(new ArrayBuffer(total));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** errno codes of a name that does not resolve (now, or at all). */
const DNS_FAILED = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);
/** errno codes of a network path that broke or does not exist. */
const UNREACHABLE = new Set(['ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

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
  if (DNS_FAILED.has(code)) {
    return new NetworkError('dns', `the name ${url.hostname} could not be found (DNS lookup failed, ${code}); check the URL for a typo and that this machine is online`, { cause: err });
  }
  if (code === 'ECONNREFUSED') {
    return new NetworkError('refused', `${where} refused the connection (ECONNREFUSED): nothing is listening there; check that the server is running and the URL's port is right, or try again later`, { cause: err });
  }
  if (UNREACHABLE.has(code)) {
    return new NetworkError('unreachable', `${where} could not be reached (${code}); check this machine's network connection and try again`, { cause: err });
  }
  return undefined;
}

export async function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  try {
    return await send(url, options);
  } catch (err) {
    throw connectionFailure(err, url, options.signal) ?? err;
  }
}

async function send(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  options.signal?.throwIfAborted();
  const proxy = proxyFor(url, options.env);
  const https = url.protocol === 'https:';
  const host = hostOf(url);
  const headers: OutgoingHttpHeaders = { host: url.host, ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  const path = `${url.pathname}${url.search}`;
  let createConnection: () => Socket;
  if (proxy) {
    const raw = await tunnel(proxy, url, options.signal);
    // `host` too: the certificate is checked against it (tls.connect assumes localhost otherwise).
    createConnection = () => (https ? tls.connect({ socket: raw, host, ...tlsOptions(host) }) : raw);
  } else {
    const target = { host, port: portOf(url), ...(options.lookup ? { lookup: options.lookup } : {}) };
    createConnection = () => (https ? tls.connect({ ...target, ...tlsOptions(host) }) : netConnect(target));
  }
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = httpRequestRaw({ method: options.method, path, headers, createConnection, signal: options.signal });
    req.once('error', (err: NodeJS.ErrnoException) => reject(tlsFailure(err, url.host, proxy) ?? err));
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      const list: Array<[string, string]> = [];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) list.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
      const answer = { status, statusText: res.statusMessage ?? '', headers: list };
      if (!options.readBody) {
        res.destroy();
        return resolve({ ...answer, body: null });
      }
      if (Number(res.headers['content-length']) > options.maxBytes) {
        res.destroy();
        return reject(options.tooLarge());
      }
      readBody(res, options.maxBytes, options.tooLarge).then((body) => resolve({ ...answer, body }), reject);
    });
    if (options.onSent) req.once('finish', options.onSent);
    req.end(options.body);
  });
}

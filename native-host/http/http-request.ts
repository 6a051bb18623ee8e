/**
 * One HTTP request with Node's own http/tls modules: the transport under guardedFetch, for every
 * request the host makes (discovery, registration, token, refresh, revocation).
 *
 * Why not fetch/undici: undici compiles its HTTP parser (WebAssembly) when it loads, and a
 * refreshing `token` then waits for that compile before it can exit; the host makes a handful of
 * small requests per login, which Node's http module serves at no start-up cost. One connection per
 * request (no pool): nothing lingers to keep a process alive. The one exception is chosen by the
 * caller: a login's code exchange may come on a connection opened when the login began
 * (warm-connection.ts).
 *
 * Corporate networks: the connection is opened by open-connection.ts (the proxy from the
 * environment through a CONNECT tunnel, the CA list), shared with `connect`'s fetch. Failures of
 * the proxy and of TLS come back as NetworkError naming which, and what to set.
 */
import { request as httpRequestRaw, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { LookupFunction } from 'node:net';
import { connectionFailure, tlsFailure } from './network-error';
import { openConnection, type OpenedConnection } from './open-connection';
import type { WarmConnection } from './warm-connection';

export { NetworkError, type NetworkFailure } from './network-error';

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
  /** A connection opened ahead for this request (used when it is to the same origin). */
  warm?: WarmConnection;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  /** In arrival order, repeated names kept (several WWW-Authenticate challenges). */
  headers: Array<[string, string]>;
  body: Uint8Array<ArrayBuffer> | null;
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

export async function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  try {
    return await send(url, options);
  } catch (err) {
    throw connectionFailure(err, url, options.signal) ?? err;
  }
}

/** A connection that broke before any answer: the server closed it as the request went out. */
class ClosedBeforeAnswer extends Error {
  constructor(readonly original: Error) {
    super('the connection closed before an answer', { cause: original });
  }
}

/** errno codes of a connection the server closed while the request was being written. */
const CLOSED_UNDER_US = new Set(['ECONNRESET', 'EPIPE']);

async function send(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  options.signal?.throwIfAborted();
  const warm = options.warm?.take(url, options.signal);
  if (warm) {
    try {
      return await sendOn(url, options, await warm, true);
    } catch (err) {
      // A server may close an idle connection just as the request is written to it; then it never
      // read the request, which is sent once more on a new connection, as a browser does. Any
      // other failure, or one after the answer began, is the request's.
      if (!(err instanceof ClosedBeforeAnswer)) throw err;
      options.signal?.throwIfAborted();
    }
  }
  return sendOn(url, options, await openConnection(url, options), false);
}

function sendOn(url: URL, options: HttpRequestOptions, { socket, proxy }: OpenedConnection, reused: boolean): Promise<HttpResponse> {
  const headers: OutgoingHttpHeaders = { host: url.host, ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  const path = `${url.pathname}${url.search}`;
  const createConnection = () => socket;
  return new Promise<HttpResponse>((resolve, reject) => {
    const req = httpRequestRaw({ method: options.method, path, headers, createConnection, signal: options.signal });
    let answered = false;
    req.once('error', (err: NodeJS.ErrnoException) => {
      if (reused && !answered && !options.signal?.aborted && CLOSED_UNDER_US.has(err.code ?? '')) return reject(new ClosedBeforeAnswer(err));
      reject(tlsFailure(err, url.host, proxy) ?? err);
    });
    req.once('response', (res) => {
      answered = true;
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

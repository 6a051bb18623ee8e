/**
 * The fetch under `connect`'s SDK transports: Node's http/https modules on one keep-alive agent,
 * instead of the platform fetch (undici).
 *
 * Why: every message the client sends is one POST, so the per-request cost of the fetch is paid on
 * every tool call, on top of the stdio hop. undici's fetch builds a Request, a body stream for the
 * string body and a Response with its own stream machinery per call; here a request is one
 * `http.request` whose headers and body leave in one write, on a connection kept open between
 * calls (Nagle off: Node's default for client sockets). The Response handed back is a real
 * `Response` over the socket's data, which is what the SDK's transports read.
 *
 * What it adds on the way:
 * - failures to reach the server are the host's NetworkError kinds (DNS, refused, timeout,
 *   unreachable, proxy-unreachable, proxy-refused, tls), worded as `login` and `token` word them
 *   (http/network-error.ts, which loads no network code);
 * - a timeout for answers that do not wait on the server's work (initialize, notifications,
 *   responses, the GET stream, DELETE): a server that accepts the connection and never answers
 *   is reported, not waited on forever. A POST carrying any other request gets none: its answer
 *   may take as long as the tool takes (servers that answer with JSON answer at the end). Opening
 *   a connection through a proxy (its answer to CONNECT) is bounded for every request, and a
 *   cancelled request stops it;
 * - `bodyEnded(response)`: when the body of a response ended or broke (the relay fails the requests
 *   of a response stream that ended without their answers) without a second stream layered on top.
 *
 * Corporate networks: the proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY, chosen by proxyFor) and the
 * CA list are the host's own: every https connection, and every connection a proxy applies to, is
 * opened by open-connection.ts, as `login` and `token` open theirs. A tunnelled connection is pooled
 * like a direct one (one pool per origin, kept alive): the CONNECT is paid once per connection, not
 * per request. A direct plain-http connection stays Node's own (no TLS module loaded for it).
 *
 * Redirects are never followed: the SDK asks for 'manual' and follows same-origin ones itself.
 * Idle connections are closed after IDLE_SOCKET_MS (or the server's Keep-Alive hint less a
 * second), before a server's own idle timeout could close one under a new request.
 */
import { setMaxListeners } from 'node:events';
import type { Agent, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import type { LookupFunction, Socket } from 'node:net';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { networkFailure } from '../http/network-error';
import { proxyFor, type ProxyChoice } from '../http/proxy-env';
import { requestsIn } from './jsonrpc-messages';

export interface HttpFetchOptions {
  /** How long an answer that does not wait on the server's work may take (ms). */
  timeoutMs: number;
  /** Tests: the resolver sockets use (default: the system's). */
  lookup?: LookupFunction;
  /** Where the proxy variables are read (default process.env; tests pass their own). */
  env?: NodeJS.ProcessEnv;
}

export type BodyEnd = 'end' | Error;

/** Close idle keep-alive connections before common server idle timeouts (Node 5 s, proxies 60 s). */
const IDLE_SOCKET_MS = 4000;
/** A cancelled body up to this size is read to its end rather than closing the connection. */
const DRAIN_MAX_BYTES = 64 * 1024;
/** Statuses whose Response may not have a body (Fetch standard "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

const ends = new WeakMap<Response, Promise<BodyEnd>>();
const unbounded = new WeakSet<AbortSignal>();

/** Resolves when the response's body ended ('end') or broke (the error); undefined for other responses. */
export function bodyEnded(response: Response): Promise<BodyEnd> | undefined {
  return ends.get(response);
}

/** A POST carrying a request other than initialize: its answer waits for the server's work. */
function awaitsWork(body: string | undefined): boolean {
  return requestsIn(body).some((r) => r.method !== 'initialize');
}

/** fetch's header forms (Headers, pairs, a record) as a plain record. */
export function headerRecord(headers: RequestInit['headers']): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  if (!headers) return out;
  if (headers instanceof Headers || Array.isArray(headers)) {
    for (const [name, value] of headers as Iterable<[string, string]>) out[name.toLowerCase()] = value;
    return out;
  }
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function bodyOf(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  // The SDK's transports send JSON text; anything else here is a programming error.
  throw new TypeError('the connect fetch sends string or byte bodies only');
}

/**
 * The response body as a web stream over the socket's data, with backpressure (the socket pauses
 * while the reader is behind), and `settle` told once how it ended.
 */
function bodyStream(res: IncomingMessage, settle: (end: BodyEnd) => void): ReadableStream<Uint8Array> {
  // Once the reader cancelled, or the body ended or broke, the controller takes nothing more
  // (a cancelled body that is drained still ends later: that end is not the reader's).
  let open = true;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        res.on('data', (chunk: Buffer) => {
          if (!open) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 1) <= 0) res.pause();
        });
        res.once('end', () => {
          if (open) controller.close();
          open = false;
          settle('end');
        });
        const broke = (error: Error) => {
          if (open) controller.error(error);
          open = false;
          settle(error);
        };
        res.on('error', broke);
        // A connection closed before the body was complete: Node emits 'aborted' (and an error
        // only when someone listens for one); either way the reader must not wait forever.
        res.once('close', () => {
          if (!res.complete) broke(Object.assign(new Error('the server closed the connection before the response was complete'), { code: 'ECONNRESET' }));
        });
      },
      pull() {
        res.resume();
      },
      cancel() {
        open = false;
        settle('end');
        // The SDK cancels bodies it does not read (a 202's empty one, an error's text): a short
        // rest is drained so the connection stays in the pool; only a long or endless one (an
        // event stream) costs the connection.
        if (res.complete) return;
        const length = Number(res.headers['content-length']);
        if (Number.isFinite(length) && length <= DRAIN_MAX_BYTES) res.resume();
        else res.destroy();
      },
    },
    { highWaterMark: 16 },
  );
}

/**
 * The request option that carries the fetch's signal to the Agent's createConnection: http.request
 * hands its other options on to it (as it does `lookup`), but keeps `signal` for itself.
 */
const CANCEL_OPTION = 'mcpLoginBridgeCancel';

type CreateConnection = (
  options: { host?: string | null; port?: number | string | null; [CANCEL_OPTION]?: AbortSignal },
  callback: (error: Error | null, socket?: Socket) => void,
) => undefined;

/**
 * A signal for opening one connection: aborted when the request is cancelled, or with a
 * TimeoutError after `timeoutMs`. Opening (the proxy's answer to CONNECT) never waits on the
 * server's work, so it is bounded for every request, a tool call's too; `done` ends the watch.
 */
function openingSignal(cancel: AbortSignal | undefined, timeoutMs: number): { signal: AbortSignal; done: () => void } {
  const opening = new AbortController();
  const timer = setTimeout(() => opening.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  timer.unref();
  const cancelled = () => opening.abort(cancel!.reason);
  if (cancel?.aborted) cancelled();
  else cancel?.addEventListener('abort', cancelled, { once: true });
  return {
    signal: opening.signal,
    done: () => {
      clearTimeout(timer);
      cancel?.removeEventListener('abort', cancelled);
    },
  };
}

export function httpFetch(options: HttpFetchOptions): FetchLike {
  let http: typeof import('node:http') | undefined;
  let opener: typeof import('../http/open-connection') | undefined;
  const agents = new Map<string, Agent>();
  // Loaded once, on the first request (the connection code, which brings TLS, only for an https
  // server or a proxy): nothing before the client's first message.
  const modules = async (opens: boolean) => {
    http ??= await import('node:http');
    if (opens) opener ??= await import('../http/open-connection');
    return http;
  };
  const agentFor = (secure: boolean, proxy: ProxyChoice | undefined, mod: typeof import('node:http')): Agent => {
    const key = `${secure ? 'https' : 'http'}${proxy ? ' via proxy' : ''}`;
    let agent = agents.get(key);
    if (agent) return agent;
    if (!secure && !proxy) {
      agent = new mod.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, ...(options.lookup ? { lookup: options.lookup } : {}) } as ConstructorParameters<typeof Agent>[0]);
    } else {
      // An http Agent whose connections the host's code opens (TLS to an https server, through
      // the proxy's tunnel when one applies): the Agent still pools them per host:port.
      agent = new mod.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
      const open = opener!.openConnection;
      const createConnection: CreateConnection = (target, callback) => {
        const host = String(target.host ?? '');
        const origin = new URL(`${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${target.port}`);
        const opening = openingSignal(target[CANCEL_OPTION], options.timeoutMs);
        open(origin, { ...(options.lookup ? { lookup: options.lookup } : {}), ...(options.env ? { env: options.env } : {}), signal: opening.signal })
          .finally(opening.done)
          .then(
            ({ socket }) => callback(null, socket),
            (error: Error) => callback(error),
          );
        return undefined;
      };
      (agent as unknown as { createConnection: CreateConnection }).createConnection = createConnection;
    }
    agents.set(key, agent);
    return agent;
  };

  return async (input, init = {}) => {
    const url = new URL(input);
    const secure = url.protocol === 'https:';
    const proxy = proxyFor(url, options.env);
    const h = await modules(secure || proxy !== undefined);
    const method = (init.method ?? 'GET').toUpperCase();
    const body = bodyOf(init.body);
    const bounded = method !== 'POST' || !awaitsWork(typeof body === 'string' ? body : undefined);
    const headers = headerRecord(init.headers);
    // Node would write the port the http Agent does not expect (":443") for an https origin.
    headers.host ??= url.host;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));

    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    // The transport's one signal goes on every request it makes: 50 calls in flight are 50
    // listeners, which is no leak (each is removed when its request ends).
    if (signal && !unbounded.has(signal)) {
      unbounded.add(signal);
      setMaxListeners(0, signal);
    }
    const request: RequestOptions = {
      method,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      headers,
      agent: agentFor(secure, proxy, h),
      ...(signal ? { signal, [CANCEL_OPTION]: signal } : {}),
    } as RequestOptions;
    return new Promise<Response>((resolve, reject) => {
      const req = h.request(request);
      // No answer in time: the request is ended, and the error says it was a timeout (not refused).
      let expired: AbortSignal | undefined;
      const timer = bounded
        ? setTimeout(() => {
            expired = AbortSignal.abort(new DOMException(`no answer within ${options.timeoutMs} ms`, 'TimeoutError'));
            req.destroy(new Error('timed out'));
          }, options.timeoutMs)
        : undefined;
      // `on`, not `once`: a request that errs again later (its socket reset after an abort) must
      // find a listener, or the error would end the process.
      let failed = false;
      req.on('error', (error: Error) => {
        clearTimeout(timer);
        if (failed) return;
        failed = true;
        if (signal?.aborted) return reject(error);
        // The proxy's own failures come as NetworkError already; TLS and the rest are worded here.
        reject(networkFailure(error, url, proxy, expired) ?? error);
      });
      req.once('response', (res: IncomingMessage) => {
        clearTimeout(timer);
        let settle!: (end: BodyEnd) => void;
        const ended = new Promise<BodyEnd>((r) => (settle = r));
        const status = res.statusCode ?? 0;
        const pairs: [string, string][] = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        const empty = NULL_BODY.has(status) || method === 'HEAD';
        if (empty) {
          res.resume();
          settle('end');
        }
        const response = new Response(empty ? null : bodyStream(res, settle), { status, statusText: res.statusMessage ?? '', headers: pairs });
        ends.set(response, ended);
        resolve(response);
      });
      req.end(body);
    });
  };
}

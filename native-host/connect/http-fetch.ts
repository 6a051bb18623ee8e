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
 *   unreachable), worded as `login` and `token` word them (http-request.ts, loaded on the first
 *   failure: for a plain-http server it would bring TLS into every start);
 * - a timeout for answers that do not wait on the server's work (initialize, notifications,
 *   responses, the GET stream, DELETE): a server that accepts the connection and never answers
 *   is reported, not waited on forever. A POST carrying any other request gets none: its answer
 *   may take as long as the tool takes (servers that answer with JSON answer at the end);
 * - `bodyEnded(response)`: when the body of a response ended or broke (the proxy fails the requests
 *   of a response stream that ended without their answers) without a second stream layered on top.
 *
 * Redirects are never followed: the SDK asks for 'manual' and follows same-origin ones itself.
 * Proxies from the environment (HTTPS_PROXY) are not used: the platform fetch did not use them
 * either. Idle connections are closed after IDLE_SOCKET_MS (or the server's Keep-Alive hint less a
 * second), before a server's own idle timeout could close one under a new request.
 */
import { setMaxListeners } from 'node:events';
import type { Agent, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import type { LookupFunction } from 'node:net';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

export interface HttpFetchOptions {
  /** How long an answer that does not wait on the server's work may take (ms). */
  timeoutMs: number;
  /** Tests: the resolver sockets use (default: the system's). */
  lookup?: LookupFunction;
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

interface Requests {
  /** A request other than initialize: its answer waits for the server's work. */
  awaitsWork: boolean;
}

/** What a POST body carries (one message, or a batch from an older client). */
function requestsIn(body: string | undefined): Requests {
  if (!body || !body.includes('"method"')) return { awaitsWork: false };
  try {
    const parsed: unknown = JSON.parse(body);
    const all = Array.isArray(parsed) ? parsed : [parsed];
    return { awaitsWork: all.some((m) => m && typeof m === 'object' && 'id' in m && 'method' in m && (m as { method: unknown }).method !== 'initialize') };
  } catch {
    return { awaitsWork: false };
  }
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

export function httpFetch(options: HttpFetchOptions): FetchLike {
  let http: typeof import('node:http') | undefined;
  let https: typeof import('node:https') | undefined;
  const agents = new Map<string, Agent>();
  // Loaded once, on the first request (https only for an https server): nothing before the client's first message.
  const modules = async (secure: boolean) => {
    http ??= await import('node:http');
    if (secure) https ??= await import('node:https');
    return { http, https };
  };
  const agentFor = (secure: boolean, mod: { Agent: typeof Agent }): Agent => {
    const key = secure ? 'https' : 'http';
    let agent = agents.get(key);
    if (!agent) {
      agent = new mod.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, ...(options.lookup ? { lookup: options.lookup } : {}) } as ConstructorParameters<typeof Agent>[0]);
      agents.set(key, agent);
    }
    return agent;
  };

  return async (input, init = {}) => {
    const url = new URL(input);
    const secure = url.protocol === 'https:';
    const { http: h, https: s } = await modules(secure);
    const method = (init.method ?? 'GET').toUpperCase();
    const body = bodyOf(init.body);
    const bounded = method !== 'POST' || !requestsIn(typeof body === 'string' ? body : undefined).awaitsWork;
    const headers = headerRecord(init.headers);
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
      agent: agentFor(secure, secure ? s! : h),
      ...(signal ? { signal } : {}),
    };
    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? s! : h).request(request);
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
        // The wording lives with the host's HTTP layer, loaded only now (it brings TLS along).
        import('../http/http-request').then(({ connectionFailure }) => reject(connectionFailure(error, url, expired) ?? error), () => reject(error));
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

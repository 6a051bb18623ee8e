/**
 * `connect`'s pipe: the client's transport (stdio) on one side, the server's (Streamable HTTP, or
 * the legacy HTTP+SSE transport for a server that offers only that) on the other, and every
 * JSON-RPC message handed from one to the other as it is — requests, notifications and responses
 * in both directions (sampling, elicitation, progress, cancellation included). No SDK Client or
 * Server sits in between: those would answer pings, validate results against their own schemas and
 * drop what they do not know.
 *
 * What the pipe adds is what a transport cannot know by itself:
 * - the protocol version the server chose in its `initialize` answer goes on every later request
 *   (`MCP-Protocol-Version`, which the SDK's Client would set) — the session id the transport
 *   takes from the response headers itself;
 * - a request the server can no longer answer gets a JSON-RPC error instead of silence: its POST
 *   failed, its response stream broke or ended without the answer, or the connection was lost;
 * - a lost connection is re-established with backoff: a new session, opened by replaying the
 *   client's `initialize` (the client keeps its own session and knows nothing of the new one);
 * - closing: the session is ended at the server (HTTP DELETE) before the process exits.
 */
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, JSONRPCRequest, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { bodyEnded } from './http-fetch';
import { ConnectError, errorResponse } from './rpc-errors';

export interface ProxyOptions {
  url: URL;
  /** Every request to the server goes through it (authorized-fetch.ts). */
  fetch: FetchLike;
  log: (line: string) => void;
  /** The server could not be reached for the first message: the command exits (code 1). */
  onFatal: (error: ConnectError) => void;
  /** Reconnection delays: initialMs, doubled per failed attempt, at most maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** How long a response stream that ended without the answer may take to resume (the SDK retries). */
  resumeGraceMs?: number;
}

type RemoteKind = 'streamable-http' | 'sse';
type State = 'idle' | 'opening' | 'open' | 'reconnecting' | 'closed';

const REPLAY_ID_PREFIX = 'mcp-login-bridge-reconnect-';
/** A response stream that broke: the last event may still be in the SDK's parser for a moment. */
const BROKEN_STREAM_SETTLE_MS = 50;
/** Statuses of a POST of `initialize` that mean "no Streamable HTTP here" (MCP transports, backwards compatibility). */
const FALLBACK_STATUSES = new Set([400, 404, 405]);

function isRequest(m: JSONRPCMessage): m is JSONRPCRequest {
  return 'method' in m && 'id' in m;
}

function isResponse(m: JSONRPCMessage): m is Extract<JSONRPCMessage, { id?: RequestId }> & ({ result: unknown } | { error: unknown }) {
  return !('method' in m) && ('result' in m || 'error' in m);
}

/** The ids of the requests in a POST body (one message, or a batch from an older client). */
function requestIds(body: unknown): RequestId[] {
  if (typeof body !== 'string' || !body.includes('"method"')) return [];
  try {
    const parsed: unknown = JSON.parse(body);
    const all = Array.isArray(parsed) ? parsed : [parsed];
    return all.filter((m) => m && typeof m === 'object' && 'method' in m && 'id' in m).map((m) => (m as { id: RequestId }).id);
  } catch {
    return [];
  }
}

/** Errors as the client should read them; nothing the server sent is echoed at length. */
export function asConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof StreamableHTTPError) {
    if (error.code === 404) return new ConnectError('connection-lost', 'the server no longer knows this session (HTTP 404); reconnecting', 404);
    const status = typeof error.code === 'number' && error.code > 0 ? error.code : undefined;
    return new ConnectError('http-error', `the server answered with an error: ${error.message.slice(0, 300)}`, status);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (message === 'Not connected') return new ConnectError('connection-lost', 'the connection to the server is not open; reconnecting');
  return new ConnectError('http-error', `the request to the server failed: ${message.slice(0, 300)}`);
}

/** " (ECONNRESET)" for an error with an errno code; nothing the server sent. */
function codeOf(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? ` (${code})` : '';
}

function isConnectionFailure(error: ConnectError): boolean {
  return error.kind === 'server-unreachable' || error.kind === 'connection-lost';
}

export class ConnectProxy {
  readonly #client: Transport;
  readonly #options: ProxyOptions;
  #remote: Transport | undefined;
  #kind: RemoteKind | undefined;
  #state: State = 'idle';
  /** Client messages that arrived while the first connection was being opened. */
  #queue: JSONRPCMessage[] = [];
  /** The client's requests the server has not answered, with the connection they went out on. */
  readonly #pending = new Map<RequestId, number>();
  #generation = 0;
  #initialize: JSONRPCRequest | undefined;
  #protocolVersion: string | undefined;
  #replay: { id: string; settle: (error?: Error) => void } | undefined;
  #reconnects = 0;
  /** Why the last attempt to reconnect failed: requests meanwhile are told (DNS, refused, …). */
  #lastAttempt: ConnectError | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #graceTimers = new Set<NodeJS.Timeout>();

  constructor(client: Transport, options: ProxyOptions) {
    this.#client = client;
    this.#options = options;
  }

  async start(): Promise<void> {
    this.#client.onmessage = (message) => this.#fromClient(message);
    this.#client.onerror = (error) => this.#options.log(`a message from the client was not valid JSON-RPC and was dropped (${error.message.slice(0, 200)})`);
    await this.#client.start();
  }

  /** Which transport the server speaks, once known. */
  get kind(): RemoteKind | undefined {
    return this.#kind;
  }

  /**
   * Watches the server's response streams (authorized-fetch.ts calls it for every response): a
   * stream that breaks, or ends without answering the requests of its POST, fails those requests.
   * The fetch (http-fetch.ts) says when a body ended; the stream itself is passed on untouched.
   */
  observe(init: RequestInit | undefined, response: Response): Response {
    if (init?.method !== 'POST' || !response.body || !response.headers.get('content-type')?.includes('text/event-stream')) return response;
    const ended = bodyEnded(response);
    if (!ended) return response;
    const ids = requestIds(init.body);
    if (!ids.length) return response;
    const generation = this.#generation;
    void ended.then((end) => {
      // The SDK may resume a stream that sent event ids; give it the time its retries take.
      if (end === 'end') this.#afterStream(ids, generation, this.#options.resumeGraceMs ?? 15_000, 'the server ended the response stream without answering');
      else this.#afterStream(ids, generation, BROKEN_STREAM_SETTLE_MS, `the connection to ${this.#options.url.host} broke before the server answered${codeOf(end)}`, true);
    });
    return response;
  }

  #afterStream(ids: RequestId[], generation: number, delayMs: number, why: string, broken = false): void {
    const timer = setTimeout(() => {
      this.#graceTimers.delete(timer);
      if (this.#state === 'closed') return;
      const lost = ids.filter((id) => this.#pending.get(id) === generation);
      if (!lost.length) return;
      const error = new ConnectError('connection-lost', `${why}; reconnecting`);
      for (const id of lost) this.#fail(id, error);
      if (broken && generation === this.#generation) this.#startReconnect(error);
    }, delayMs);
    timer.unref();
    this.#graceTimers.add(timer);
  }

  #fromClient(message: JSONRPCMessage): void {
    if (isRequest(message)) {
      this.#pending.set(message.id, this.#generation);
      if (message.method === 'initialize') this.#initialize = message;
    } else if ('method' in message && message.method === 'notifications/cancelled') {
      // The server will not answer a cancelled request (MCP "Cancellation"), nor will we.
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (id !== undefined) this.#pending.delete(id);
    }
    switch (this.#state) {
      case 'idle':
        this.#state = 'opening';
        this.#queue.push(message);
        void this.#open();
        return;
      case 'opening':
        this.#queue.push(message);
        return;
      case 'open':
        return this.#forward(message);
      case 'reconnecting':
        if (isRequest(message)) this.#fail(message.id, this.#whileReconnecting());
        return;
      case 'closed':
        return;
    }
  }

  #forward(message: JSONRPCMessage): void {
    const remote = this.#remote!;
    const generation = this.#generation;
    remote.send(message).catch((error: unknown) => this.#sendFailed(message, error, generation));
  }

  #sendFailed(message: JSONRPCMessage, error: unknown, generation: number): void {
    const failure = asConnectError(error);
    if (isRequest(message)) this.#fail(message.id, failure);
    else if (!isConnectionFailure(failure)) this.#options.log(`a message to the server failed: ${failure.message}`);
    if (isConnectionFailure(failure) && generation === this.#generation) this.#startReconnect(failure);
  }

  #whileReconnecting(): ConnectError {
    const { host } = this.#options.url;
    const last = this.#lastAttempt;
    if (!last) return new ConnectError('connection-lost', `the connection to ${host} was lost; reconnecting, try again shortly`);
    return new ConnectError('connection-lost', `the connection to ${host} was lost and is not back yet: ${last.message}; still trying to reconnect`, last.status, last.network);
  }

  /** Answers the client's request `id` with `error`, once (a late answer from the server is dropped). */
  #fail(id: RequestId, error: ConnectError): void {
    if (!this.#pending.delete(id)) return;
    this.#toClient(errorResponse(id, error));
  }

  #toClient(message: JSONRPCMessage): void {
    this.#client.send(message).catch((error: unknown) => this.#options.log(`could not write to the client: ${(error as Error).message}`));
  }

  #fromServer(message: JSONRPCMessage, from: Transport): void {
    if (from !== this.#remote || this.#state === 'closed') return;
    if (isResponse(message) && message.id !== undefined) {
      if (this.#replay && message.id === this.#replay.id) {
        const { settle } = this.#replay;
        this.#replay = undefined;
        if ('error' in message) return settle(new Error(`the server refused the new session: ${String((message.error as { message?: unknown }).message).slice(0, 200)}`));
        this.#noteProtocolVersion(message.result, from);
        return settle();
      }
      // An answer to a request already failed (or never sent) by us is not the client's any more.
      if (!this.#pending.delete(message.id)) return;
      if (this.#initialize && message.id === this.#initialize.id && 'result' in message) this.#noteProtocolVersion(message.result, from);
    }
    this.#toClient(message);
  }

  #noteProtocolVersion(result: unknown, transport: Transport): void {
    const version = (result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    if (typeof version !== 'string') return;
    this.#protocolVersion = version;
    transport.setProtocolVersion?.(version);
  }

  #attach(transport: Transport): void {
    transport.onmessage = (message) => this.#fromServer(message, transport);
    transport.onerror = (error) => {
      if (transport !== this.#remote || this.#state === 'closed') return;
      // Failed sends are reported through their promise (#sendFailed); these are the rest.
      if (error instanceof ConnectError || error instanceof StreamableHTTPError) return;
      if (error.name === 'AbortError') return;
      this.#options.log(`server connection: ${error.message.slice(0, 300)}`);
      // The SDK gave up re-opening the server's event stream: the server is gone.
      if (/Maximum reconnection attempts/.test(error.message) || error instanceof SseError) {
        this.#startReconnect(new ConnectError('connection-lost', error.message));
      }
    };
  }

  /** Opens a transport of `kind` (undefined: Streamable HTTP, else legacy SSE) and sends `first` on it. */
  async #connect(first: JSONRPCMessage, kind: RemoteKind | undefined): Promise<void> {
    const { url, fetch } = this.#options;
    if (kind !== 'sse') {
      const transport = new StreamableHTTPClientTransport(url, {
        fetch,
        reconnectionOptions: { initialReconnectionDelay: 500, maxReconnectionDelay: 5000, reconnectionDelayGrowFactor: 2, maxRetries: 4 },
      });
      this.#attach(transport);
      this.#remote = transport;
      await transport.start();
      try {
        await transport.send(first);
        this.#kind = 'streamable-http';
        return;
      } catch (error) {
        this.#remote = undefined;
        await transport.close().catch(() => undefined);
        const fallback = kind === undefined && error instanceof StreamableHTTPError && FALLBACK_STATUSES.has(error.code ?? 0);
        if (!fallback) throw error;
        this.#options.log(`${url.href} does not take Streamable HTTP (HTTP ${error.code}); trying the HTTP+SSE transport`);
      }
    }
    const transport = new SSEClientTransport(url, { fetch, eventSourceInit: { fetch } });
    this.#attach(transport);
    this.#remote = transport;
    try {
      await transport.start();
      await transport.send(first);
    } catch (error) {
      this.#remote = undefined;
      await transport.close().catch(() => undefined);
      throw error;
    }
    this.#kind = 'sse';
  }

  async #open(): Promise<void> {
    const first = this.#queue.shift()!;
    try {
      await this.#connect(first, undefined);
    } catch (error) {
      const failure = asConnectError(error);
      const queued = [first, ...this.#queue];
      this.#queue = [];
      for (const m of queued) if (isRequest(m)) this.#fail(m.id, failure);
      this.#state = 'idle';
      // Nothing answers at that address: better a clear exit the client shows than a server that
      // looks alive and fails every request.
      if (failure.kind === 'server-unreachable') this.#options.onFatal(failure);
      else this.#options.log(failure.message);
      return;
    }
    if (this.#state !== 'opening') return;
    this.#state = 'open';
    const queued = this.#queue;
    this.#queue = [];
    for (const m of queued) this.#forward(m);
  }

  #startReconnect(reason: ConnectError): void {
    if (this.#state !== 'open') return;
    this.#state = 'reconnecting';
    this.#options.log(`lost the connection to ${this.#options.url.href} (${reason.message}); reconnecting`);
    const old = this.#remote;
    this.#remote = undefined;
    // No DELETE: the server is gone, or has forgotten the session already.
    void old?.close().catch(() => undefined);
    this.#generation += 1;
    // Every request still waiting went out on the lost connection: no answer can come now.
    for (const [id, generation] of [...this.#pending]) {
      if (generation < this.#generation) this.#fail(id, new ConnectError('connection-lost', `the connection to ${this.#options.url.host} was lost before the server answered; reconnecting`, undefined, reason.network));
    }
    this.#reconnects = 0;
    this.#lastAttempt = undefined;
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const { initialMs, maxMs } = this.#options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    const delay = Math.min(initialMs * 2 ** this.#reconnects, maxMs);
    this.#timer = setTimeout(() => void this.#tryReconnect(), delay);
  }

  async #tryReconnect(): Promise<void> {
    if (this.#state !== 'reconnecting') return;
    this.#reconnects += 1;
    const initialize = this.#initialize;
    if (!initialize) {
      // The client never initialized: its next message opens a connection as the first one did.
      this.#state = 'idle';
      return;
    }
    const id = `${REPLAY_ID_PREFIX}${this.#reconnects}-${Date.now()}`;
    const params = { ...initialize.params, ...(this.#protocolVersion ? { protocolVersion: this.#protocolVersion } : {}) };
    try {
      const answered = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the server did not answer initialize within 30 s')), 30_000);
        this.#replay = { id, settle: (error) => (clearTimeout(timer), error ? reject(error) : resolve()) };
      });
      await this.#connect({ jsonrpc: '2.0', id, method: 'initialize', params }, this.#kind);
      await answered;
      if (this.#state !== 'reconnecting') return;
      await this.#remote!.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      this.#state = 'open';
      this.#lastAttempt = undefined;
      this.#options.log(`reconnected to ${this.#options.url.href} (attempt ${this.#reconnects})`);
    } catch (error) {
      this.#replay = undefined;
      const old = this.#remote;
      this.#remote = undefined;
      void old?.close().catch(() => undefined);
      if (this.#state !== 'reconnecting') return;
      this.#lastAttempt = asConnectError(error);
      this.#options.log(`reconnecting (attempt ${this.#reconnects}) failed: ${this.#lastAttempt.message}`);
      this.#scheduleReconnect();
    }
  }

  /** The client is gone: end the session at the server (where the transport has one) and stop. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#timer);
    for (const timer of this.#graceTimers) clearTimeout(timer);
    const remote = this.#remote;
    this.#remote = undefined;
    if (remote instanceof StreamableHTTPClientTransport && remote.sessionId) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([remote.terminateSession().catch(() => undefined), timeout]);
      clearTimeout(timer);
    }
    await remote?.close().catch(() => undefined);
    await this.#client.close().catch(() => undefined);
  }
}

/**
 * `connect`'s pipe: the client's transport (stdio) on one side, the server's session
 * (upstream-session.ts) on the other, and every JSON-RPC message handed from one to the other as
 * it is — requests, notifications and responses in both directions (sampling, elicitation,
 * progress, cancellation included). No SDK Client or Server sits in between: those would answer
 * pings, validate results against their own schemas and drop what they do not know.
 *
 * What the relay adds is what a transport cannot know by itself:
 * - a request the server can no longer answer gets a JSON-RPC error instead of silence: its POST
 *   failed, its response stream broke or ended without the answer (response-streams.ts), or the
 *   connection was lost;
 * - a lost connection is re-established with backoff, by a new session at the server; requests
 *   that arrive meanwhile are told why the last attempt failed;
 * - closing: the session is ended at the server before the process exits.
 */
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, JSONRPCRequest, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { isRequest, isResponse } from './jsonrpc-messages';
import { ResponseStreamWatch } from './response-streams';
import { ConnectError, errorResponse } from './rpc-errors';
import { asConnectError, isConnectionFailure } from './transport-errors';
import { UpstreamSession, type RemoteKind } from './upstream-session';

export interface RelayOptions {
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
  /** How long the server may take to answer the `initialize` that opens a new session after a lost connection (default 30 s). */
  replayTimeoutMs?: number;
}

type State = 'idle' | 'opening' | 'open' | 'reconnecting' | 'closed';

export class JsonRpcRelay {
  readonly #client: Transport;
  readonly #options: RelayOptions;
  readonly #server: UpstreamSession;
  readonly #streams: ResponseStreamWatch;
  #state: State = 'idle';
  /** Client messages that arrived while the first connection was being opened. */
  #queue: JSONRPCMessage[] = [];
  /** The client's requests the server has not answered, with the connection they went out on. */
  readonly #pending = new Map<RequestId, number>();
  /** The connection requests go out on: one more after each lost one. */
  #generation = 0;
  #initialize: JSONRPCRequest | undefined;
  #reconnects = 0;
  /** Why the last attempt to reconnect failed: requests meanwhile are told (DNS, refused, …). */
  #lastAttempt: ConnectError | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(client: Transport, options: RelayOptions) {
    this.#client = client;
    this.#options = options;
    const { url, fetch, log } = options;
    this.#server = new UpstreamSession({
      url,
      fetch,
      log,
      onMessage: (message) => this.#fromServer(message),
      onLost: (error) => this.#startReconnect(error),
      ...(options.replayTimeoutMs ? { replayTimeoutMs: options.replayTimeoutMs } : {}),
    });
    this.#streams = new ResponseStreamWatch({
      host: url.host,
      resumeGraceMs: options.resumeGraceMs ?? 15_000,
      generation: () => this.#generation,
      onUnanswered: (ids, generation, error, broken) => this.#unanswered(ids, generation, error, broken),
    });
  }

  async start(): Promise<void> {
    this.#client.onmessage = (message) => this.#fromClient(message);
    this.#client.onerror = (error) => this.#options.log(`a message from the client was not valid JSON-RPC and was dropped (${error.message.slice(0, 200)})`);
    await this.#client.start();
  }

  /** Which transport the server speaks, once known. */
  get kind(): RemoteKind | undefined {
    return this.#server.kind;
  }

  /** Sees every response from the server (authorized-fetch.ts): its event stream is watched for answers that never come. */
  observe(init: RequestInit | undefined, response: Response): Response {
    return this.#streams.observe(init, response);
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
    const generation = this.#generation;
    this.#server.send(message).catch((error: unknown) => this.#sendFailed(message, error, generation));
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

  #fromServer(message: JSONRPCMessage): void {
    if (this.#state === 'closed') return;
    if (isResponse(message) && message.id !== undefined) {
      // An answer to a request already failed (or never sent) by us is not the client's any more.
      if (!this.#pending.delete(message.id)) return;
      if (this.#initialize && message.id === this.#initialize.id && 'result' in message) this.#server.noteProtocolVersion(message.result);
    }
    this.#toClient(message);
  }

  /** A response stream ended or broke before answering `ids`: those still waiting on it are failed. */
  #unanswered(ids: RequestId[], generation: number, error: ConnectError, broken: boolean): void {
    if (this.#state === 'closed') return;
    const lost = ids.filter((id) => this.#pending.get(id) === generation);
    if (!lost.length) return;
    for (const id of lost) this.#fail(id, error);
    if (broken && generation === this.#generation) this.#startReconnect(error);
  }

  async #open(): Promise<void> {
    const first = this.#queue.shift()!;
    try {
      await this.#server.open(first);
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
    this.#server.drop();
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
    try {
      await this.#server.replayInitialize(initialize, this.#reconnects);
      if (this.#state !== 'reconnecting') return;
      await this.#server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      this.#state = 'open';
      this.#lastAttempt = undefined;
      this.#options.log(`reconnected to ${this.#options.url.href} (attempt ${this.#reconnects})`);
    } catch (error) {
      this.#server.drop();
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
    this.#streams.stop();
    await this.#server.end(timeoutMs);
    await this.#client.close().catch(() => undefined);
  }
}

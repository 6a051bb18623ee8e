/**
 * `connect`'s session with the remote server: one SDK client transport at a time, Streamable HTTP
 * or, for a server that offers only that, the legacy HTTP+SSE transport.
 * - It is opened by the client's first message, and opened again after a lost connection by
 *   replaying the client's `initialize` (the client keeps its own session and knows nothing of the
 *   new one).
 * - The protocol version the server chose in its `initialize` answer goes on every later request
 *   (`MCP-Protocol-Version`, which the SDK's Client would set); the session id the transport takes
 *   from the response headers itself.
 * - At the end, the session is ended at the server (HTTP DELETE) where the transport has one.
 * Which messages go out and what the client is told is the relay's (jsonrpc-relay.ts).
 */
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { isResponse } from './jsonrpc-messages';
import { ConnectError } from './rpc-errors';

export type RemoteKind = 'streamable-http' | 'sse';

export interface UpstreamSessionOptions {
  url: URL;
  /** Every request to the server goes through it (authorized-fetch.ts). */
  fetch: FetchLike;
  log: (line: string) => void;
  /** A message from the server on the current transport (the answer to a replayed `initialize` is the session's own). */
  onMessage: (message: JSONRPCMessage) => void;
  /** The SDK gave up re-opening the server's event stream: the server is gone. */
  onLost: (error: ConnectError) => void;
  /** How long the server may take to answer a replayed `initialize` (default 30 s). */
  replayTimeoutMs?: number;
}

const REPLAY_ID_PREFIX = 'mcp-login-bridge-reconnect-';
/** Statuses of a POST of `initialize` that mean "no Streamable HTTP here" (MCP transports, backwards compatibility). */
const FALLBACK_STATUSES = new Set([400, 404, 405]);

export class UpstreamSession {
  readonly #options: UpstreamSessionOptions;
  #transport: Transport | undefined;
  #kind: RemoteKind | undefined;
  #protocolVersion: string | undefined;
  #replay: { id: string; settle: (error?: Error) => void } | undefined;

  constructor(options: UpstreamSessionOptions) {
    this.#options = options;
  }

  /** Which transport the server speaks, once known. */
  get kind(): RemoteKind | undefined {
    return this.#kind;
  }

  /** Opens the first transport (Streamable HTTP, else the legacy one) and sends the client's first message on it. */
  open(first: JSONRPCMessage): Promise<void> {
    return this.#connect(first, undefined);
  }

  /** On the open transport (the relay sends only while the session is open). */
  send(message: JSONRPCMessage): Promise<void> {
    return this.#transport!.send(message);
  }

  /** The server's `initialize` result: its protocol version goes on every later request. */
  noteProtocolVersion(result: unknown): void {
    const version = (result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    if (typeof version !== 'string') return;
    this.#protocolVersion = version;
    this.#transport?.setProtocolVersion?.(version);
  }

  /**
   * A new session on a new transport of the kind the server spoke: the client's `initialize`,
   * under an id of ours and with the version the server chose before. Resolves once the server
   * answered it; the relay then sends `notifications/initialized` (if it still wants the session).
   */
  async replayInitialize(initialize: JSONRPCRequest, attempt: number): Promise<void> {
    const id = `${REPLAY_ID_PREFIX}${attempt}-${Date.now()}`;
    const params = { ...initialize.params, ...(this.#protocolVersion ? { protocolVersion: this.#protocolVersion } : {}) };
    const timeoutMs = this.#options.replayTimeoutMs ?? 30_000;
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not answer initialize within ${timeoutMs / 1000} s`)), timeoutMs);
      this.#replay = { id, settle: (error) => (clearTimeout(timer), error ? reject(error) : resolve()) };
    });
    // Awaited only once the new transport took the message: when that fails, the bound is ended
    // (drop, end) and its rejection must not surface as an unhandled one, which would end the process.
    answered.catch(() => undefined);
    await this.#connect({ jsonrpc: '2.0', id, method: 'initialize', params }, this.#kind);
    await answered;
  }

  /** The connection is lost: the transport is closed without a DELETE (the server is gone, or has forgotten the session already). */
  drop(): void {
    this.#endReplay('the connection was dropped');
    const old = this.#transport;
    this.#transport = undefined;
    void old?.close().catch(() => undefined);
  }

  /** The client is gone: end the session at the server (where the transport has one, within `timeoutMs`) and close. */
  async end(timeoutMs: number): Promise<void> {
    this.#endReplay('the session ended');
    const remote = this.#transport;
    this.#transport = undefined;
    if (remote instanceof StreamableHTTPClientTransport && remote.sessionId) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([remote.terminateSession().catch(() => undefined), timeout]);
      clearTimeout(timer);
    }
    await remote?.close().catch(() => undefined);
  }

  /** A replayed `initialize` no longer waited for: its bound is ended with it. */
  #endReplay(why: string): void {
    const replay = this.#replay;
    this.#replay = undefined;
    replay?.settle(new Error(why));
  }

  #fromServer(message: JSONRPCMessage, from: Transport): void {
    if (from !== this.#transport) return;
    if (this.#replay && isResponse(message) && message.id === this.#replay.id) {
      const { settle } = this.#replay;
      this.#replay = undefined;
      if ('error' in message) return settle(new Error(`the server refused the new session: ${String((message.error as { message?: unknown }).message).slice(0, 200)}`));
      this.noteProtocolVersion(message.result);
      return settle();
    }
    this.#options.onMessage(message);
  }

  #attach(transport: Transport): void {
    transport.onmessage = (message) => this.#fromServer(message, transport);
    transport.onerror = (error) => {
      if (transport !== this.#transport) return;
      // Failed sends are reported through their promise (the relay's); these are the rest.
      if (error instanceof ConnectError || error instanceof StreamableHTTPError) return;
      if (error.name === 'AbortError') return;
      this.#options.log(`server connection: ${error.message.slice(0, 300)}`);
      // The SDK gave up re-opening the server's event stream: the server is gone.
      if (/Maximum reconnection attempts/.test(error.message) || error instanceof SseError) {
        this.#options.onLost(new ConnectError('connection-lost', error.message));
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
      this.#transport = transport;
      await transport.start();
      try {
        await transport.send(first);
        this.#kind = 'streamable-http';
        return;
      } catch (error) {
        this.#transport = undefined;
        await transport.close().catch(() => undefined);
        const fallback = kind === undefined && error instanceof StreamableHTTPError && FALLBACK_STATUSES.has(error.code ?? 0);
        if (!fallback) throw error;
        this.#options.log(`${url.href} does not take Streamable HTTP (HTTP ${error.code}); trying the HTTP+SSE transport`);
      }
    }
    const transport = new SSEClientTransport(url, { fetch, eventSourceInit: { fetch } });
    this.#attach(transport);
    this.#transport = transport;
    try {
      await transport.start();
      await transport.send(first);
    } catch (error) {
      this.#transport = undefined;
      await transport.close().catch(() => undefined);
      throw error;
    }
    this.#kind = 'sse';
  }
}

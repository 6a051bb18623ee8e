/**
 * Watches the server's response streams: a POST's answer may come as an event stream, and when
 * that stream breaks, or ends without answering the requests of its POST, those requests would
 * never be answered. The fetch (http-fetch.ts) says when a body ended; the stream itself is passed
 * on to the transport untouched.
 */
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import { bodyEnded } from './http-fetch';
import { requestsIn } from './jsonrpc-messages';
import { ConnectError } from './rpc-errors';
import { errnoSuffix } from './transport-errors';

/** A response stream that broke: the last event may still be in the SDK's parser for a moment. */
const BROKEN_STREAM_SETTLE_MS = 50;

export interface ResponseStreamOptions {
  /** The server's host, for the messages. */
  host: string;
  /** How long a response stream that ended without the answer may take to resume (the SDK retries). */
  resumeGraceMs: number;
  /** The connection requests go out on now (the relay counts them: a new one after each reconnect). */
  generation: () => number;
  /**
   * After the grace: the requests `ids`, sent on connection `generation`, whose stream ended or
   * broke (`broken`: the connection under it broke) before all of them were answered.
   */
  onUnanswered: (ids: RequestId[], generation: number, error: ConnectError, broken: boolean) => void;
}

export class ResponseStreamWatch {
  readonly #options: ResponseStreamOptions;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: ResponseStreamOptions) {
    this.#options = options;
  }

  /** Called for every response (authorized-fetch.ts); only a POST's event stream is watched. */
  observe(init: RequestInit | undefined, response: Response): Response {
    if (init?.method !== 'POST' || !response.body || !response.headers.get('content-type')?.includes('text/event-stream')) return response;
    const ended = bodyEnded(response);
    if (!ended) return response;
    const ids = requestsIn(init.body).map((r) => r.id);
    if (!ids.length) return response;
    const generation = this.#options.generation();
    void ended.then((end) => {
      // The SDK may resume a stream that sent event ids; give it the time its retries take.
      if (end === 'end') this.#after(ids, generation, this.#options.resumeGraceMs, 'the server ended the response stream without answering', false);
      else this.#after(ids, generation, BROKEN_STREAM_SETTLE_MS, `the connection to ${this.#options.host} broke before the server answered${errnoSuffix(end)}`, true);
    });
    return response;
  }

  #after(ids: RequestId[], generation: number, delayMs: number, why: string, broken: boolean): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#options.onUnanswered(ids, generation, new ConnectError('connection-lost', `${why}; reconnecting`), broken);
    }, delayMs);
    timer.unref();
    this.#timers.add(timer);
  }

  /** The session is over: no request is failed any more. */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
  }
}

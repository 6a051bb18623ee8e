/**
 * A connection opened ahead of the one request that will use it: a login knows its token endpoint
 * when it begins, and the code exchange at its end should not wait for a DNS lookup, a TCP connect
 * and a TLS handshake (on a loaded machine, also for the event loop turns between them). Opened by
 * open-connection.ts, so the environment's proxy and the CA list apply exactly as to any request.
 *
 * - One use: `take` hands the socket to the request and the connection is done.
 * - Idle, it holds the process open for nobody (unref'd) and is closed at its deadline or by
 *   `close` (the flow ended without a callback).
 * - A server may close a connection that carries no request. When it does, the connection is
 *   opened again (a few times, and not for a server that closes at once), and `take` falls back
 *   to a fresh connection; either way the name is not resolved again: the answer of the first
 *   lookup (which the caller's resolver checked) is kept with the connection.
 * - Anything the server sends before a request is a broken connection: it is closed.
 */
import type { LookupFunction, Socket } from 'node:net';
import { openConnection, type OpenConnectionOptions, type OpenedConnection } from './open-connection';

/** Re-openings after the server closed an idle connection. */
const MAX_REOPENS = 3;
/** A connection the server closed sooner than this is not opened again: that server does not keep idle ones. */
const MIN_LIFE_MS = 1000;

export interface WarmConnectionOptions {
  /** Resolver for direct connections (the connect-time address check); its first answer is kept. */
  lookup?: LookupFunction;
  /** Default process.env (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Closed after this long even if never taken. */
  maxAgeMs: number;
}

/** How long opening (a proxy's CONNECT included) may take; a request never waits for it anyway. */
const OPEN_LIMIT_MS = 15_000;

interface Attempt {
  opened: Promise<OpenedConnection>;
  /** Set once open (and not handed on). */
  connection?: OpenedConnection;
  /** Set once the socket closed, failed or misbehaved, or the attempt was given up. */
  dead: boolean;
  /** Removes this module's listeners (the socket is handed on). */
  release(): void;
}

export class WarmConnection {
  readonly #url: URL;
  readonly #options: OpenConnectionOptions;
  readonly #deadline: ReturnType<typeof setTimeout>;
  /** Aborts a proxy's CONNECT still under way when the connection is closed. */
  readonly #stop = new AbortController();
  #attempt: Attempt | undefined;
  #reopens = 0;
  #closed = false;

  constructor(url: URL, options: WarmConnectionOptions) {
    this.#url = url;
    this.#options = { ...(options.env ? { env: options.env } : {}), ...(options.lookup ? { lookup: rememberFirstAnswer(options.lookup) } : {}) };
    this.#deadline = setTimeout(() => this.close(), options.maxAgeMs);
    this.#deadline.unref();
    this.#attempt = this.#open();
  }

  /**
   * The connection for a request to `url`, once: the warm one when it is open, else a fresh one
   * (the same resolver answer; `signal` bounds it, as any request's). A connection still being
   * opened is given up rather than waited for: the request's own limits apply only to its own.
   * Undefined when `url` is of another origin or the connection was closed: the caller opens its own.
   */
  take(url: URL, signal?: AbortSignal): Promise<OpenedConnection> | undefined {
    if (this.#closed || url.origin !== this.#url.origin) return undefined;
    const attempt = this.#attempt;
    const connection = attempt && !attempt.dead ? attempt.connection : undefined;
    if (connection && !connection.socket.destroyed) {
      this.#finish();
      attempt!.release();
      connection.socket.ref();
      return Promise.resolve(connection);
    }
    this.close();
    return openConnection(this.#url, { ...this.#options, ...(signal ? { signal } : {}) });
  }

  /** Closes the idle connection, or gives up opening it; `take` then returns undefined. */
  close(): void {
    if (this.#closed) return;
    const attempt = this.#attempt;
    this.#finish();
    this.#stop.abort();
    if (attempt) {
      attempt.dead = true;
      attempt.opened.then(({ socket }) => socket.destroy(), () => undefined);
    }
  }

  #finish(): void {
    this.#closed = true;
    this.#attempt = undefined;
    clearTimeout(this.#deadline);
  }

  #open(): Attempt {
    const openedAt = Date.now();
    let release = () => {};
    const signal = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(OPEN_LIMIT_MS)]);
    const attempt: Attempt = { opened: openConnection(this.#url, { ...this.#options, signal }), dead: false, release: () => release() };
    attempt.opened.then(
      (opened) => {
        const { socket } = opened;
        if (attempt.dead) return socket.destroy();
        attempt.connection = opened;
        socket.unref();
        const gone = () => {
          if (attempt.dead) return;
          attempt.dead = true;
          release();
          socket.destroy();
          this.#died(attempt, openedAt);
        };
        release = () => {
          attempt.connection = undefined;
          detach(socket, gone);
        };
        attach(socket, gone);
      },
      () => {
        // A failure to connect is the request's to report: `take` opens afresh and fails there.
        attempt.dead = true;
      },
    );
    return attempt;
  }

  #died(attempt: Attempt, openedAt: number): void {
    if (this.#closed || this.#attempt !== attempt) return;
    if (Date.now() - openedAt < MIN_LIFE_MS || this.#reopens >= MAX_REOPENS) return;
    this.#reopens++;
    this.#attempt = this.#open();
  }
}

const EVENTS = ['data', 'end', 'close', 'error'] as const;

function attach(socket: Socket, gone: () => void): void {
  // 'data' puts the socket in flowing mode, which is also how an idle socket sees the server's close.
  for (const event of EVENTS) socket.on(event, gone);
}

function detach(socket: Socket, gone: () => void): void {
  for (const event of EVENTS) socket.removeListener(event, gone);
}

/**
 * The resolver, asked once: later connections of the same warm connection reuse its answer. An
 * error is not kept (the next connection asks again).
 */
function rememberFirstAnswer(lookup: LookupFunction): LookupFunction {
  let answer: { address: unknown; family: unknown; all: boolean } | undefined;
  return (hostname, options, callback) => {
    const all = Boolean((options as { all?: boolean }).all);
    if (answer && answer.all === all) {
      const { address, family } = answer;
      return process.nextTick(() => (callback as (e: null, a: unknown, f: unknown) => void)(null, address, family));
    }
    lookup(hostname, options, (err, address, family) => {
      if (!err) answer = { address, family, all };
      callback(err, address, family);
    });
  };
}

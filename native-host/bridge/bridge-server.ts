/**
 * The loopback bridge of a browser-launched host (DESIGN.md §3.3, §5; PROTOCOL.md "Bridge"): a
 * WebSocket server on 127.0.0.1, random port, announced with a random secret in a 0600 runtime
 * file. This file is the transport only: who may connect, the framing of messages, the
 * connection's life. What each message does is in native-host/requests/ (`hello` and `login`, in
 * the same handler table as the native messages).
 *
 * A connection is accepted only (ws `verifyClient`, before the upgrade completes) when:
 * - it has no `Origin` header: browsers always send one on WebSocket handshakes, so no web page
 *   can reach the bridge even if it guessed the port;
 * - its `Host` is exactly `127.0.0.1:<port>` (DNS rebinding names another host);
 * - it carries the secret in the `x-mcp-login-bridge-secret` header (compared in constant time);
 * - fewer than BRIDGE_LIMITS.maxConnections are open.
 * The accepted handshake's answer carries the host's proof that it holds the secret too
 * (bridge-proof.ts), so the CLI never talks to a program that took a dead host's port.
 * Messages over `maxPayload` close the connection (1009); binary frames close it (1003); every
 * text message is validated before use.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { BRIDGE_LIMITS, BRIDGE_NONCE_HEADER, BRIDGE_PROOF_HEADER, BRIDGE_SECRET_HEADER } from '../../shared/bridge-protocol';
import type { HostPush } from '../../shared/protocol';
import type { HostContext } from '../host-context';
import { abandonBridgeLogins, newBridgeLogins } from '../requests/bridge-login';
import { answer, errorResponse } from '../requests/dispatch';
import type { BridgeSession } from '../requests/handler';
import type { BrowserIdentity } from './browser-identity';
import { proofFor } from './bridge-proof';
import { removeBridgeFileSync, runtimeDir, touchBridgeFile, writeBridgeFile } from './runtime-files';

export interface BridgeServerOptions {
  ctx: HostContext;
  /** Sends a push to the extension that started this host (a native messaging frame). */
  push: (message: HostPush) => void;
  identity: BrowserIdentity;
  /** Default: runtimeDir(). */
  dir?: string;
  /** Tests only: shorter HTTP limits than BRIDGE_HTTP_LIMITS, so a timeout can be seen quickly. */
  httpLimits?: Partial<BridgeHttpLimits>;
}

export interface BridgeHttpLimits {
  /** Open TCP connections, authenticated or not; beyond it the server drops new ones at once. */
  maxSockets: number;
  /** How long a client may take to send its request's headers (the upgrade's or any other). */
  headersTimeoutMs: number;
  /** How long a whole non-upgrade request may take. */
  requestTimeoutMs: number;
}

/**
 * Anyone on this machine can open a TCP connection to the port before proving anything; Node's
 * defaults (60 s for headers, 300 s per request, unbounded connections) would let a local process
 * hold many of them. A real CLI sends its upgrade at once, so a few seconds is plenty.
 *
 * The limits are enforced by a timer per connection, running only while that connection has not
 * become a WebSocket: Node's own enforcement is a timer that checks every connection at a fixed
 * interval for the server's whole life, which would wake an idle host (started with the browser,
 * idle nearly always) every second.
 */
export const BRIDGE_HTTP_LIMITS: BridgeHttpLimits = {
  maxSockets: 32,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 5000,
};

/** Node's interval timer for its own header/request timeouts, pushed out of the way (setInterval's maximum). */
const NODE_CHECK_INTERVAL_MS = 2 ** 31 - 1;

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sameSecret(given: string | undefined, secret: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class BridgeServer {
  readonly port: number;
  readonly filePath: string;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #options: BridgeServerOptions;
  #lastTouch = 0;
  #closed = false;

  private constructor(options: BridgeServerOptions, server: Server, wss: WebSocketServer, port: number, filePath: string) {
    this.#options = options;
    this.#server = server;
    this.#wss = wss;
    this.port = port;
    this.filePath = filePath;
  }

  static async start(options: BridgeServerOptions): Promise<BridgeServer> {
    const secret = randomBytes(32).toString('base64url');
    const limits = { ...BRIDGE_HTTP_LIMITS, ...options.httpLimits };
    // Plain HTTP requests get nothing useful: only the upgrade is served, and the connection is
    // closed after the answer (no keep-alive to hold it open).
    const server = createServer(
      { connectionsCheckingInterval: NODE_CHECK_INTERVAL_MS, headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs },
      (_req, res) => res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' }).end('not found'),
    );
    server.maxConnections = limits.maxSockets;
    // Until it is a WebSocket, a connection gets the longer of the two limits to finish its request.
    const deadlines = new WeakMap<Socket, NodeJS.Timeout>();
    server.on('connection', (socket: Socket) => {
      const timer = setTimeout(() => socket.destroy(), Math.max(limits.headersTimeoutMs, limits.requestTimeoutMs));
      deadlines.set(socket, timer);
      socket.once('close', () => clearTimeout(timer));
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const wss = new WebSocketServer({
      server,
      path: '/',
      maxPayload: BRIDGE_LIMITS.maxMessageBytes,
      perMessageDeflate: false,
      verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
        const req = info.req;
        if (headerValue(req, 'origin') !== undefined || headerValue(req, 'sec-websocket-origin') !== undefined) {
          return done(false, 403, 'Forbidden');
        }
        if (headerValue(req, 'host') !== `127.0.0.1:${port}`) return done(false, 403, 'Forbidden');
        if (!sameSecret(headerValue(req, BRIDGE_SECRET_HEADER), secret)) return done(false, 401, 'Unauthorized');
        if (wss.clients.size >= BRIDGE_LIMITS.maxConnections) return done(false, 503, 'Busy');
        done(true);
      },
    });
    // Only for a handshake verifyClient accepted: the host proves to the CLI that it holds the secret too.
    wss.on('headers', (headers, req) => {
      const proof = proofFor(secret, headerValue(req, BRIDGE_NONCE_HEADER));
      if (proof) headers.push(`${BRIDGE_PROOF_HEADER}: ${proof}`);
    });
    // Without a listener, a refused handshake or a bad frame would be an uncaught 'error'.
    wss.on('error', () => undefined);
    let filePath: string;
    try {
      filePath = await writeBridgeFile(options.dir ?? runtimeDir(), {
        version: 1,
        pid: process.pid,
        port,
        secret,
        browser: options.identity.browser,
        ...(options.identity.userDataDir ? { userDataDir: options.identity.userDataDir } : {}),
        startedAt: Date.now(),
      });
    } catch (error) {
      wss.close();
      server.close();
      throw error;
    }
    const bridge = new BridgeServer(options, server, wss, port, filePath);
    wss.on('connection', (ws, req) => {
      clearTimeout(deadlines.get(req.socket));
      bridge.#serve(ws);
    });
    return bridge;
  }

  /** The extension just used this host: the CLI prefers the most recently active one. */
  touch(): void {
    const now = Date.now();
    if (this.#closed || now - this.#lastTouch < 2000) return;
    this.#lastTouch = now;
    void touchBridgeFile(this.filePath);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    removeBridgeFileSync(this.filePath);
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(ws: WebSocket): void {
    const { ctx, push, identity } = this.#options;
    const session: BridgeSession = {
      ctx,
      identity,
      push,
      touch: () => this.touch(),
      send: (message: unknown) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
      },
      logins: newBridgeLogins(() => ws.readyState === ws.OPEN),
    };
    ws.on('error', () => undefined);
    ws.on('close', () => abandonBridgeLogins(session));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'text messages only');
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return session.send(errorResponse('', new ProtocolError(ErrorCode.MalformedMessage, 'a bridge message must be UTF-8 JSON')));
      }
      // Requests run concurrently: a `hello` is answered while a `login` waits for its callback.
      void answer('bridge', session, message).then(session.send);
    });
  }
}

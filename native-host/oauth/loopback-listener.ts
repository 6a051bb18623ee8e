/**
 * The host's own loopback redirect endpoint (RFC 8252 §7.3): 127.0.0.1 on a random port, path
 * /callback. The extension normally captures the callback before it reaches this port; this
 * listener completes the login when it cannot (no extension, another browser, a CLI login with
 * the system browser). It answers nothing but GET /callback and, for logins the CLI opens in the
 * system browser, their one-time start links (launch-links.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { CompleteResult } from '../../shared/protocol';
import { LaunchLinks, START_PATH } from './launch-links';
import { loopbackPeerUid } from './loopback-peer';

export const CALLBACK_PATH = '/callback';

function page(title: string, body: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><body style="font:16px system-ui;margin:3em"><h1>${esc(
    title,
  )}</h1><p>${esc(body)}</p></body>`;
}

export class LoopbackListener {
  /** Completes a login from a callback URL; set by whoever owns the flows. */
  onCallback: (callbackUrl: string) => Promise<CompleteResult> = async () => {
    throw new Error('no login is waiting');
  };
  /** A login opened through a start link that must not go on; set by whoever owns the flows. */
  onCallOff?: (state: string, error: ProtocolError) => void;

  #server?: Server;
  #port?: Promise<number>;
  readonly #launches = new LaunchLinks();
  readonly #peerUid: typeof loopbackPeerUid;
  readonly #uid: number | undefined;

  /** `peerUid` and `uid` are for tests: who is on the other end, and who we are. */
  constructor(options: { peerUid?: typeof loopbackPeerUid; uid?: number } = {}) {
    this.#peerUid = options.peerUid ?? loopbackPeerUid;
    this.#uid = options.uid ?? process.getuid?.();
  }

  /** Starts listening on first use; the same port serves every flow of this process. */
  async redirectUri(): Promise<string> {
    this.#port ??= new Promise<number>((resolve, reject) => {
      const server = createServer((req, res) => void this.#handle(req, res));
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
      // The listener must not keep a finished CLI process alive.
      server.unref();
      this.#server = server;
    });
    return `http://127.0.0.1:${await this.#port}${CALLBACK_PATH}`;
  }

  /**
   * The address to open in the system browser for the login `state` instead of its authorize URL,
   * which it redirects to once (see launch-links.ts). That login's callback then needs the cookie
   * the start link set.
   */
  async launchUrl(state: string, authorizeUrl: string): Promise<string> {
    await this.redirectUri();
    return `http://127.0.0.1:${await this.#port}${this.#launches.create(state, authorizeUrl)}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The socket's own port: a browser's late request (a favicon) may arrive after close().
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${req.socket.localPort}`);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
      return;
    }
    // Never let a page be cached or its URL (which carries a code or a start nonce) be leaked onwards.
    const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
    const isStart = req.method === 'GET' && url.pathname.startsWith(START_PATH);
    if (!isStart && (req.method !== 'GET' || url.pathname !== CALLBACK_PATH)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const visitor = await this.#visitor(req);
    if (visitor === 'other') {
      res.writeHead(403, headers).end(page('Not your login', 'This login port belongs to another user of this machine.'));
      return;
    }
    if (isStart) return this.#start(url.pathname.slice(START_PATH.length), visitor === 'user', res, headers);
    const state = url.searchParams.get('state');
    const check = this.#launches.checkCallback(state, req.headers.cookie);
    if (check === 'refused') {
      const error = new ProtocolError(
        ErrorCode.CallbackCookieMissing,
        'this browser did not send back the cookie the login set when it was opened, so the login was called off: ' +
          'it is accepted only in the browser that opened its link. If your browser blocks cookies for 127.0.0.1, ' +
          'allow them, or log in with --no-browser and paste the address',
      );
      this.onCallOff?.(state!, error);
      this.#launches.forget(state!);
      res.writeHead(400, headers).end(page('Login failed', error.message));
      return;
    }
    try {
      // Whoever waits for this flow hears its outcome from LoginService's settled event.
      const result = await this.onCallback(url.href);
      const title = result.refreshCapable ? 'Logged in' : 'Logged in, without a refresh token';
      res.writeHead(200, headers).end(page(title, result.warning?.message ?? `You can close this tab. ${result.serverUrl} is ready.`));
    } catch (err) {
      // Only our own errors are known to be free of secrets; anything else stays on stderr.
      const message = err instanceof ProtocolError ? err.message : 'internal error in mcp-login-bridge; see its output';
      if (!(err instanceof ProtocolError)) process.stderr.write(`mcp-login-bridge: ${(err as Error)?.stack ?? String(err)}\n`);
      res.writeHead(400, headers).end(page('Login failed', message));
    }
  }

  /**
   * Who is connecting (loopback-peer.ts): a program of the user this process runs as ('user'),
   * another user's or one the kernel does not list ('other': a login's link or callback is no
   * business of theirs), or nobody can tell ('unknown': not Linux; the start link's cookie and
   * one-time use are the defence there).
   */
  async #visitor(req: IncomingMessage): Promise<'user' | 'other' | 'unknown'> {
    const { localAddress, localPort, remoteAddress, remotePort } = req.socket;
    if (this.#uid === undefined) return 'unknown'; // Windows: no uids, and no other user reads our command lines
    if (!localAddress || !localPort || !remoteAddress || !remotePort) return 'other'; // already disconnected
    const uid = await this.#peerUid({ address: localAddress, port: localPort }, { address: remoteAddress, port: remotePort });
    if (uid === undefined) return 'unknown';
    if (uid === this.#uid) return 'user';
    process.stderr.write(`mcp-login-bridge: refused a request to the login port from ${uid === null ? 'an unknown program' : `another user's program (uid ${uid})`}\n`);
    return 'other';
  }

  #start(nonce: string, visitorIsUser: boolean, res: ServerResponse, headers: Record<string, string>): void {
    const answer = this.#launches.open(nonce, { visitorIsUser });
    if (answer.kind === 'redirect') {
      res.writeHead(302, { ...headers, location: answer.location, 'set-cookie': answer.setCookie }).end();
      return;
    }
    if (answer.kind === 'unknown') {
      res.writeHead(404, headers).end(page('Unknown login link', 'This login link is not one this mcp-login-bridge is waiting for. Start the login again.'));
      return;
    }
    const error = new ProtocolError(
      ErrorCode.LoginLinkReused,
      'the login link was opened twice, so the login was called off: another program or user on this machine may have ' +
        'read it from the process list. Start the login again and open its link once, or use the extension',
    );
    this.onCallOff?.(answer.state, error);
    res.writeHead(409, headers).end(page('Login called off', error.message));
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#port = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

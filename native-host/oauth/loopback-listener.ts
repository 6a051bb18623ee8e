/**
 * The host's own loopback redirect endpoint (RFC 8252 §7.3): 127.0.0.1 on a random port, path
 * /callback. The extension normally captures the callback before it reaches this port; this
 * listener completes the login when it cannot (no extension, another browser, a CLI login with
 * the system browser). It answers nothing but GET /callback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProtocolError } from '../../shared/errors';
import type { CompleteResult } from '../../shared/protocol';

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
  /** Told of every finished callback, e.g. so a CLI login can stop waiting. */
  onResult?: (state: string | null, outcome: { result?: CompleteResult; error?: Error }) => void;

  #server?: Server;
  #port?: Promise<number>;

  /** Starts listening on first use; the same port serves every flow of this process. */
  async redirectUri(): Promise<string> {
    this.#port ??= new Promise<number>((resolve, reject) => {
      const server = createServer((req, res) => void this.#handle(req.url ?? '/', req.method ?? 'GET', res));
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
      // The listener must not keep a finished CLI process alive.
      server.unref();
      this.#server = server;
    });
    return `http://127.0.0.1:${await this.#port}${CALLBACK_PATH}`;
  }

  async #handle(path: string, method: string, res: import('node:http').ServerResponse): Promise<void> {
    const port = await this.#port;
    const url = new URL(path, `http://127.0.0.1:${port}`);
    if (method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const state = url.searchParams.get('state');
    // Never let the page be cached or its URL (which carries the code) be leaked onwards.
    const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
    try {
      const result = await this.onCallback(url.href);
      this.onResult?.(state, { result });
      const title = result.refreshCapable ? 'Logged in' : 'Logged in, without a refresh token';
      res.writeHead(200, headers).end(page(title, result.warning?.message ?? `You can close this tab. ${result.serverUrl} is ready.`));
    } catch (err) {
      this.onResult?.(state, { error: err as Error });
      // Only our own errors are known to be free of secrets; anything else stays on stderr.
      const message = err instanceof ProtocolError ? err.message : 'internal error in mcp-login-bridge; see its output';
      if (!(err instanceof ProtocolError)) process.stderr.write(`mcp-login-bridge: ${(err as Error)?.stack ?? String(err)}\n`);
      res.writeHead(400, headers).end(page('Login failed', message));
    }
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#port = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * connect's fetch (http-fetch.ts) against real loopback servers: one kept-alive connection for a
 * session's requests, the Response the SDK's transports read, the host's network failure kinds
 * (a resolver that fails stands in for DNS: the only fake here), the timeout for answers that do
 * not wait on the server's work and none for those that do, and the end of a body told apart from
 * a broken one.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer, type AddressInfo, type LookupFunction, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authorizedFetch } from '../../../native-host/connect/authorized-fetch';
import { bodyEnded, httpFetch } from '../../../native-host/connect/http-fetch';
import { ConnectError } from '../../../native-host/connect/rpc-errors';
import { NetworkError } from '../../../native-host/http/http-request';
import type { TokenSource } from '../../../native-host/connect/token-source';
import { startForwardProxy } from '../../fixtures/forward-proxy';

let server: HttpServer;
let base: string;
let connections = 0;
let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;
/** Accepts connections and never answers. */
let silent: Server;
const held: Socket[] = [];
let closedPort: number;

beforeAll(async () => {
  server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => handler(req, res, body));
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  silent = createServer((socket) => held.push(socket));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
});
afterAll(async () => {
  for (const s of held) s.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await new Promise((r) => silent.close(r));
});

const INITIALIZE = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
const CALL = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'slow' } });

describe('httpFetch', () => {
  it('sends method, headers and body; answers with status, repeated headers and the body; one connection for many requests', async () => {
    handler = (req, res, body) => {
      res.setHeader('www-authenticate', ['Bearer realm="a"', 'Bearer realm="b"']);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, session: req.headers['mcp-session-id'], body }));
    };
    const fetch = httpFetch({ timeoutMs: 5000 });
    const before = connections;
    for (let i = 0; i < 20; i += 1) {
      const headers = new Headers({ Authorization: 'Bearer t', 'Mcp-Session-Id': 's1' });
      const response = await fetch(base, { method: 'POST', headers, body: `{"n":${i}}` });
      expect(response.status).toBe(200);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="a", Bearer realm="b"');
      expect(await response.json()).toEqual({ method: 'POST', auth: 'Bearer t', session: 's1', body: `{"n":${i}}` });
    }
    // Kept alive: the twenty requests went over one connection.
    expect(connections - before).toBe(1);
  });

  it('bodies cancelled unread (a 202, a 401 still arriving) and a 204: the connection stays in use', async () => {
    handler = (req, res) => {
      if (req.method === 'GET') {
        // A refusal whose short text comes after its headers (the 401 authorizedFetch cancels).
        res.writeHead(401, { 'content-length': '13' });
        res.write('not');
        return void setTimeout(() => res.end(' allowed.!'), 100);
      }
      res.statusCode = req.method === 'DELETE' ? 204 : 202;
      res.end();
    };
    const fetch = httpFetch({ timeoutMs: 5000 });
    const before = connections;
    for (let i = 0; i < 5; i += 1) {
      const accepted = await fetch(base, { method: 'POST', body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' });
      expect(accepted.status).toBe(202);
      // What the SDK does with a 202: the body is cancelled unread. The connection stays usable.
      await accepted.body?.cancel();
    }
    const refused = await fetch(base, { method: 'GET' });
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
    // Its rest arrives 100 ms later and is drained: then the connection is free again, not closed.
    await new Promise((r) => setTimeout(r, 400));
    const deleted = await fetch(base, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();
    expect(connections - before).toBe(1);
  });

  it('nothing listening: the host\'s "refused" sentence and kind', async () => {
    const error = await httpFetch({ timeoutMs: 5000 })(`http://127.0.0.1:${closedPort}/mcp`, { method: 'POST', body: INITIALIZE }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).kind).toBe('refused');
    expect((error as NetworkError).message).toBe(
      `127.0.0.1:${closedPort} refused the connection (ECONNREFUSED): nothing is listening there; check that the server is running and the URL's port is right, or try again later`,
    );
  });

  it('a name that does not resolve: the host\'s "dns" sentence and kind', async () => {
    const lookup: LookupFunction = (hostname, _options, callback) =>
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
    const error = await httpFetch({ timeoutMs: 5000, lookup })('https://mcp.typo.test/mcp', { method: 'POST', body: INITIALIZE }).catch((e: unknown) => e);
    expect((error as NetworkError).kind).toBe('dns');
    expect((error as NetworkError).message).toBe('the name mcp.typo.test could not be found (DNS lookup failed, ENOTFOUND); check the URL for a typo and that this machine is online');
  });

  it('a server that never answers: initialize times out as "timeout"; a tool call is not bounded by it', async () => {
    const { port } = silent.address() as AddressInfo;
    const fetch = httpFetch({ timeoutMs: 300 });
    const error = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', body: INITIALIZE }).catch((e: unknown) => e);
    expect((error as NetworkError).kind).toBe('timeout');
    expect((error as NetworkError).message).toContain(`127.0.0.1:${port} did not answer in time (timed out)`);
    // A tool call's answer waits for the tool: it may come long after the bound.
    handler = (_req, res) => setTimeout(() => res.end('{"jsonrpc":"2.0","id":2,"result":{}}'), 900);
    const slow = await fetch(base, { method: 'POST', body: CALL });
    expect(await slow.text()).toBe('{"jsonrpc":"2.0","id":2,"result":{}}');
  });

  it('bodyEnded: "end" for a complete body, the error for a connection closed mid-body', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\ndata: {}\n\n');
      if (req.url?.endsWith('break')) setTimeout(() => req.socket.destroy(), 50);
      else setTimeout(() => res.end(), 50);
    };
    const fetch = httpFetch({ timeoutMs: 5000 });
    const whole = await fetch(base, { method: 'POST', body: CALL });
    const read = whole.text();
    expect(await bodyEnded(whole)).toBe('end');
    expect(await read).toBe('event: message\ndata: {}\n\n');
    const broken = await fetch(`${base}?break`, { method: 'POST', body: CALL });
    const reading = broken.text().catch((e: unknown) => e);
    const end = await bodyEnded(broken);
    expect(end).toBeInstanceOf(Error);
    expect((end as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(await reading).toBeInstanceOf(Error);
  });
});

describe('httpFetch through the proxy the environment names', () => {
  // Loopback is not exempt from HTTP_PROXY by itself (proxy-env.ts), so the local server is reached through the proxy.
  it('tunnels to the server once and keeps the tunnel for the next requests; NO_PROXY goes around it', async () => {
    const proxy = await startForwardProxy();
    try {
      handler = (req, res, body) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ method: req.method, body, host: req.headers.host }));
      const fetch = httpFetch({ timeoutMs: 5000, env: { HTTP_PROXY: proxy.url } });
      const before = connections;
      for (let i = 0; i < 3; i += 1) {
        const response = await fetch(base, { method: 'POST', body: INITIALIZE });
        expect(await response.json()).toEqual({ method: 'POST', body: INITIALIZE, host: new URL(base).host });
      }
      const target = new URL(base).host;
      expect(proxy.requests).toEqual([{ method: 'CONNECT', target }]);
      expect(connections - before).toBe(1);

      proxy.requests = [];
      const direct = httpFetch({ timeoutMs: 5000, env: { HTTP_PROXY: proxy.url, NO_PROXY: 'example.test,127.0.0.1' } });
      expect((await direct(base, { method: 'POST', body: INITIALIZE })).status).toBe(200);
      expect(proxy.requests).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that refuses: the host\'s "proxy-refused" sentence; one that is gone: "proxy-unreachable", without its password', async () => {
    const proxy = await startForwardProxy();
    const target = new URL(base).host;
    try {
      proxy.refuseWith = 403;
      const refused = await httpFetch({ timeoutMs: 5000, env: { HTTP_PROXY: proxy.url } })(base, { method: 'POST', body: INITIALIZE }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(NetworkError);
      expect((refused as NetworkError).kind).toBe('proxy-refused');
      expect((refused as NetworkError).message).toContain(`the proxy ${proxy.url} (HTTP_PROXY) refused to connect to ${target} (HTTP 403 Forbidden)`);
    } finally {
      await proxy.close();
    }
    const address = new URL(proxy.url).host;
    const gone = await httpFetch({ timeoutMs: 5000, env: { http_proxy: `http://corp-user:s3cret@${address}` } })(base, { method: 'POST', body: INITIALIZE }).catch((e: unknown) => e);
    expect((gone as NetworkError).kind).toBe('proxy-unreachable');
    expect((gone as NetworkError).message).toContain(`could not reach the proxy http://${address} (http_proxy)`);
    expect((gone as NetworkError).message).not.toContain('s3cret');
  });
});

describe('httpFetch through a proxy that never answers CONNECT', () => {
  // The fixture proxy accepts the connection, reads the CONNECT and never answers it.
  it('initialize and a tool call alike: "timeout" naming the proxy; a cancelled request: an AbortError; no connection to the proxy left open', async () => {
    const proxy = await startForwardProxy();
    proxy.silent = true;
    try {
      const fetch = httpFetch({ timeoutMs: 300, env: { HTTP_PROXY: proxy.url } });
      const target = new URL(base).host;
      for (const body of [INITIALIZE, CALL]) {
        const error = await fetch(base, { method: 'POST', body }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NetworkError);
        expect((error as NetworkError).kind).toBe('timeout');
        expect((error as NetworkError).message).toMatch(new RegExp(`^the proxy ${proxy.url} \\(HTTP_PROXY\\) did not answer the request to connect to ${target} in time \\(timed out\\)`));
      }
      expect(proxy.requests).toEqual([
        { method: 'CONNECT', target },
        { method: 'CONNECT', target },
      ]);
      await vi.waitFor(() => expect(proxy.openConnections()).toBe(0), { timeout: 5000 });

      // The transport's signal (the SDK aborts it when the session closes) stops the CONNECT too.
      const cancel = new AbortController();
      const cancelled = httpFetch({ timeoutMs: 60_000, env: { HTTP_PROXY: proxy.url } })(base, { method: 'POST', body: CALL, signal: cancel.signal }).catch((e: unknown) => e);
      await vi.waitFor(() => expect(proxy.requests).toHaveLength(3), { timeout: 5000 });
      cancel.abort();
      expect(((await cancelled) as Error).name).toBe('AbortError');
      await vi.waitFor(() => expect(proxy.openConnections()).toBe(0), { timeout: 5000 });
    } finally {
      await proxy.close();
    }
  }, 20_000);
});

describe('authorizedFetch: a server that cannot be reached', () => {
  const tokens = { token: async () => 'at', serverUrl: 'x' } as unknown as TokenSource;

  it('server-unreachable with the host\'s sentence and data.network, through either fetch', async () => {
    const url = `http://127.0.0.1:${closedPort}/mcp`;
    for (const base of [httpFetch({ timeoutMs: 5000 }), undefined]) {
      const error = await authorizedFetch({ tokens, ...(base ? { base } : {}) })(url, { method: 'POST', body: INITIALIZE }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).kind).toBe('server-unreachable');
      expect((error as ConnectError).network).toBe('refused');
      expect((error as ConnectError).message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${closedPort} refused the connection \\(ECONNREFUSED\\): nothing is listening there`));
    }
  });
});

/**
 * A connection opened ahead for one request (a login's code exchange): the request goes out on it,
 * once; a connection the server dropped is replaced without a second name lookup; a request the
 * server cut before answering on a reused connection is sent once more, and only then.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction, Socket } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import { httpRequest, type HttpRequestOptions } from '../../../native-host/http/http-request';
import { WarmConnection } from '../../../native-host/http/warm-connection';
import { startForwardProxy } from '../../fixtures/forward-proxy';

interface Fixture {
  url: URL;
  server: Server;
  /** Connections accepted, in order. */
  connections: Socket[];
  /** For each request: the index of the connection it came on. */
  requests: number[];
  /** Requests to close unanswered (by index of arrival). */
  cutRequests: Set<number>;
}

const fixtures: Fixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) {
    f.server.closeAllConnections();
    await new Promise((resolve) => f.server.close(resolve));
  }
});

async function startServer(): Promise<Fixture> {
  const f: Fixture = { url: new URL('http://x'), server: createServer(), connections: [], requests: [], cutRequests: new Set() };
  f.server.on('connection', (socket) => f.connections.push(socket));
  f.server.on('request', (req, res) => {
    const index = f.requests.length;
    f.requests.push(f.connections.indexOf(req.socket));
    if (f.cutRequests.has(index)) return req.socket.destroy();
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
  // A name, not an address: the resolver is asked (and counted) as for a real endpoint.
  f.url = new URL(`http://localhost:${(f.server.address() as AddressInfo).port}/token`);
  fixtures.push(f);
  return f;
}

function countingLookup(): { lookup: LookupFunction; calls: () => number } {
  let calls = 0;
  const lookup: LookupFunction = (hostname, options, callback) => {
    calls++;
    // The fixture listens on IPv4.
    dnsLookup(hostname, { ...options, family: 4 }, callback as never);
  };
  return { lookup, calls: () => calls };
}

function post(url: URL, warm: WarmConnection | undefined, lookup?: LookupFunction, extra: Partial<HttpRequestOptions> = {}): Promise<string> {
  const options: HttpRequestOptions = {
    ...extra,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'code=c',
    maxBytes: 1024,
    readBody: true,
    tooLarge: () => new Error('too large'),
    ...(lookup ? { lookup } : {}),
    ...(warm ? { warm } : {}),
  };
  return httpRequest(url, options).then((r) => new TextDecoder().decode(r.body!));
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
};

describe('WarmConnection', () => {
  it('opens the connection at once, and the request goes out on it', async () => {
    const f = await startServer();
    const { lookup, calls } = countingLookup();
    const warm = new WarmConnection(f.url, { lookup, maxAgeMs: 60_000 });
    await until(() => f.connections.length === 1);
    expect(f.requests).toEqual([]);
    expect(await post(f.url, warm)).toBe('ok');
    expect(f.requests).toEqual([0]);
    expect(f.connections).toHaveLength(1);
    expect(calls()).toBe(1);
  });

  it('is used once: a second request opens its own connection', async () => {
    const f = await startServer();
    const warm = new WarmConnection(f.url, { maxAgeMs: 60_000 });
    await post(f.url, warm);
    expect(warm.take(f.url)).toBeUndefined();
    await post(f.url, warm);
    expect(f.requests).toEqual([0, 1]);
  });

  it('is not used for another origin', async () => {
    const f = await startServer();
    const other = await startServer();
    const warm = new WarmConnection(f.url, { maxAgeMs: 60_000 });
    await until(() => f.connections.length === 1);
    expect(await post(other.url, warm)).toBe('ok');
    expect(other.requests).toEqual([0]);
    expect(f.requests).toEqual([]);
    // Still there for its own origin.
    await post(f.url, warm);
    expect(f.requests).toEqual([0]);
  });

  it('closed (the flow ended without a callback): the socket goes and the request opens its own', async () => {
    const f = await startServer();
    const warm = new WarmConnection(f.url, { maxAgeMs: 60_000 });
    await until(() => f.connections.length === 1);
    warm.close();
    await until(() => f.connections[0]!.destroyed || f.connections[0]!.readableEnded);
    expect(warm.take(f.url)).toBeUndefined();
  });

  it('closes itself at its deadline', async () => {
    const f = await startServer();
    const warm = new WarmConnection(f.url, { maxAgeMs: 50 });
    await until(() => f.connections.length === 1);
    await until(() => f.connections[0]!.destroyed || f.connections[0]!.readableEnded);
    expect(warm.take(f.url)).toBeUndefined();
  });

  it('dropped by the server at once: the request gets a new connection, without a second lookup', async () => {
    const f = await startServer();
    const { lookup, calls } = countingLookup();
    const warm = new WarmConnection(f.url, { lookup, maxAgeMs: 60_000 });
    await until(() => f.connections.length === 1);
    f.connections[0]!.destroy();
    // Given time to see the close (and not to open it again: it lived less than a second).
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(f.connections).toHaveLength(1);
    expect(await post(f.url, warm)).toBe('ok');
    expect(f.requests).toEqual([1]);
    expect(calls()).toBe(1);
  });

  it('dropped by the server after a while: opened again, and the request goes out on the new one', async () => {
    const f = await startServer();
    const warm = new WarmConnection(f.url, { maxAgeMs: 60_000 });
    await until(() => f.connections.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    f.connections[0]!.destroy();
    await until(() => f.connections.length === 2);
    expect(f.requests).toEqual([]);
    expect(await post(f.url, warm)).toBe('ok');
    expect(f.requests).toEqual([1]);
    expect(f.connections).toHaveLength(2);
  });

  it('a request the server cuts unanswered on the warm connection is sent once more on a new one', async () => {
    const f = await startServer();
    const warm = new WarmConnection(f.url, { maxAgeMs: 60_000 });
    await until(() => f.connections.length === 1);
    f.cutRequests.add(0);
    expect(await post(f.url, warm)).toBe('ok');
    expect(f.requests).toEqual([0, 1]);
  });

  it('through a proxy that never answers CONNECT: the request is bounded by its own signal, and closing lets go of the proxy', async () => {
    const f = await startServer();
    const proxy = await startForwardProxy();
    try {
      proxy.silent = true;
      const env = { HTTP_PROXY: proxy.url, NO_PROXY: '' };
      const warm = new WarmConnection(f.url, { env, maxAgeMs: 60_000 });
      await until(() => proxy.requests.length === 1);
      const started = Date.now();
      await expect(post(f.url, warm, undefined, { env, signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ name: 'NetworkError', kind: 'timeout' });
      expect(Date.now() - started).toBeLessThan(5_000);
      // The tunnel still being opened was given up when the request took the connection.
      await until(() => proxy.openConnections() === 0);
      expect(f.requests).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('on a connection of its own, a request the server cuts is not sent again', async () => {
    const f = await startServer();
    f.cutRequests.add(0);
    await expect(post(f.url, undefined)).rejects.toThrow();
    expect(f.requests).toEqual([0]);
  });
});

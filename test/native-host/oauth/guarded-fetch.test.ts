/**
 * The fetch every OAuth request goes through, against a real local server that counts what reaches
 * it: a remote server's URLs must never get here, however they spell this machine, and no response
 * may be read past the size limit.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { MAX_RESPONSE_BYTES, guardedFetch, preconnect, remoteOnlyLookup } from '../../../native-host/oauth/guarded-fetch';
import { discoverAuthorizationServer } from '../../../native-host/oauth/discovery';
import { httpOptions } from '../../../native-host/oauth/http-options';
import { NetworkError } from '../../../native-host/http/http-request';

const REMOTE = { allowLoopback: false };
const LOCAL = { allowLoopback: true };

let server: Server;
let port: number;
let requests: string[] = [];
let route: (req: IncomingMessage, res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    route(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  requests = [];
  route = (_req, res) => res.end('{"ok":true}');
});

/** A resolver that answers every name with these addresses, as a hostile DNS zone would. */
function resolvingTo(...addresses: string[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...a: unknown[]) => void) => {
    const list = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    if (options.all) callback(null, list);
    else callback(null, list[0]!.address, list[0]!.family);
  }) as unknown as LookupFunction;
}

const refused = expect.objectContaining({ code: ErrorCode.InsecureEndpoint, message: expect.stringContaining('MCP server is not local') });

describe('where a remote server may send the host', () => {
  it('refuses every spelling of this machine before connecting', async () => {
    // http, so that without the check each of these would reach the counting server.
    for (const host of ['localhost.', 'localhost', 'foo.localhost', '0.0.0.0', '0', '127.0.0.1', '127.1', '[::1]', '[::]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]']) {
      await expect(guardedFetch(REMOTE)(`http://${host}:${port}/x`), host).rejects.toEqual(refused);
    }
    await expect(guardedFetch(REMOTE)(`https://localhost.:${port}/x`)).rejects.toEqual(refused);
    await expect(guardedFetch(REMOTE)(`https://0.0.0.0:${port}/x`)).rejects.toEqual(refused);
    expect(requests).toEqual([]);
  });

  it('refuses a name that resolves to this machine, checked on the connection itself', async () => {
    for (const addresses of [['127.0.0.1'], ['10.0.0.5', '127.0.0.1'], ['::ffff:127.0.0.1'], ['0.0.0.0']]) {
      const fetcher = guardedFetch(REMOTE, { lookup: resolvingTo(...addresses) });
      await expect(fetcher(`http://intranet.example.test:${port}/x`), addresses.join()).rejects.toEqual(
        expect.objectContaining({ code: ErrorCode.InsecureEndpoint, message: expect.stringContaining('intranet.example.test resolves to') }),
      );
    }
    expect(requests).toEqual([]);
  });

  it('a connection opened ahead (a login\'s token endpoint) is held to the same checks, and never carries the request', async () => {
    expect(preconnect(new URL(`http://127.0.0.1:${port}/token`), REMOTE, { maxAgeMs: 60_000 })).toBeUndefined();
    const url = new URL(`http://intranet.example.test:${port}/token`);
    const lookup = resolvingTo('127.0.0.1');
    const warm = preconnect(url, REMOTE, { maxAgeMs: 60_000, lookup });
    expect(warm).toBeDefined();
    await expect(guardedFetch(REMOTE, { lookup, warm })(url.href, { method: 'POST', body: 'code=c' })).rejects.toEqual(
      expect.objectContaining({ code: ErrorCode.InsecureEndpoint, message: expect.stringContaining('intranet.example.test resolves to') }),
    );
    expect(requests).toEqual([]);
    // A local server's own: allowed, and the request goes out on it.
    const local = new URL(`http://127.0.0.1:${port}/token`);
    const warmLocal = preconnect(local, LOCAL, { maxAgeMs: 60_000 })!;
    expect(await (await guardedFetch(LOCAL, { warm: warmLocal })(local.href, { method: 'POST', body: 'code=c' })).json()).toEqual({ ok: true });
    expect(requests).toEqual(['/token']);
    expect(warmLocal.take(local)).toBeUndefined();
  });

  it('lets private (RFC 1918) and public addresses through the resolver check', async () => {
    const check = (addresses: string[]) =>
      new Promise<unknown>((resolve) => remoteOnlyLookup(resolvingTo(...addresses))('mcp.corp', { all: true }, (err) => resolve(err)));
    expect(await check(['10.0.0.5'])).toBeNull();
    expect(await check(['192.168.1.20', '172.16.4.4', '2001:db8::1'])).toBeNull();
    expect(await check(['169.254.169.254'])).toEqual(expect.objectContaining({ code: ErrorCode.InsecureEndpoint }));
  });

  it('is what oauth4webapi fetches with (httpOptions), and discovery reports the refusal as InsecureEndpoint', async () => {
    const issuer = new URL(`http://127.0.0.1:${port}`);
    await expect(oauth.discoveryRequest(issuer, httpOptions(issuer, REMOTE))).rejects.toEqual(refused);
    await expect(discoverAuthorizationServer(`https://localhost.:${port}`, REMOTE)).rejects.toEqual(
      expect.objectContaining({ code: ErrorCode.InsecureEndpoint }),
    );
    expect(requests).toEqual([]);
  });

  it('lets a local server use this machine, by address or by a name resolving to it', async () => {
    const response = await guardedFetch(LOCAL)(`http://127.0.0.1:${port}/a`);
    expect(await response.json()).toEqual({ ok: true });
    await guardedFetch(LOCAL, { lookup: resolvingTo('127.0.0.1') })(`http://mcp.dev.test:${port}/b`);
    expect(requests).toEqual(['/a', '/b']);
  });
});

describe('how much the host reads', () => {
  it('returns an ordinary Response with status, headers and body when under the limit', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(MAX_RESPONSE_BYTES - 100) });
    route = (_req, res) => res.writeHead(201, { 'content-type': 'application/json', 'x-test': 'yes' }).end(body);
    const response = await guardedFetch(LOCAL)(`http://127.0.0.1:${port}/ok`);
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(201);
    expect(response.headers.get('x-test')).toBe('yes');
    expect(await response.text()).toBe(body);
  });

  it('aborts a chunked body (no Content-Length) once it passes the limit', async () => {
    let closed!: Promise<number>;
    route = (_req, res) => {
      let sent = 0;
      closed = new Promise((resolve) => res.on('close', () => resolve(sent)));
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(16 * 1024, 'SECRETBODY');
      const pump = () => {
        while (!res.destroyed && sent < 200 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    };
    const started = Date.now();
    const err = (await guardedFetch(LOCAL)(`http://127.0.0.1:${port}/stream`).catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(`the response from http://127.0.0.1:${port} is larger than the 256 KiB limit; refusing it`);
    expect(err.message).not.toContain('SECRETBODY');
    // The connection is dropped: the server stops long before its 200 MB.
    expect(await closed).toBeLessThan(20 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses a declared Content-Length above the limit without reading the body', async () => {
    route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(500 * 1024 * 1024) });
      res.write('{"SECRETBODY":'); // and then nothing: the client must not wait for the rest
    };
    const err = (await guardedFetch(LOCAL)(`http://127.0.0.1:${port}/big`).catch((e: Error) => e)) as Error;
    expect(err.message).toBe(`the response from http://127.0.0.1:${port} is larger than the 256 KiB limit; refusing it`);
  });

  it('keeps oauth4webapi working unchanged, and turns an oversized metadata document into DiscoveryFailed', async () => {
    const issuer = `http://127.0.0.1:${port}`;
    const metadata = { issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, code_challenge_methods_supported: ['S256'] };
    route = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadata));
    await expect(discoverAuthorizationServer(issuer)).resolves.toMatchObject(metadata);
    route = (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...metadata, pad: 'x'.repeat(MAX_RESPONSE_BYTES) }));
    await expect(discoverAuthorizationServer(issuer)).rejects.toEqual(
      expect.objectContaining({ code: ErrorCode.DiscoveryFailed, message: expect.stringContaining('larger than the 256 KiB limit') }),
    );
  });
});

describe('why a server could not be reached', () => {
  /** A resolver that finds nothing, as for a mistyped host name. */
  const notFound = ((hostname: string, _options: unknown, callback: (...a: unknown[]) => void) =>
    callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }))) as unknown as LookupFunction;

  it('a name that does not resolve reads as a DNS failure, naming the host and what to check', async () => {
    const err = (await guardedFetch(REMOTE, { lookup: notFound })('http://mcp.typo.test/x').catch((e: Error) => e)) as NetworkError;
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.kind).toBe('dns');
    expect(err.message).toBe('the name mcp.typo.test could not be found (DNS lookup failed, ENOTFOUND); check the URL for a typo and that this machine is online');
  });

});

describe('telling the caller the request is on its way', () => {
  it('calls onSent once, when the whole request is written, without waiting for the answer', async () => {
    let received = '';
    let answer!: () => void;
    const answerReady = new Promise<void>((resolve) => {
      route = (req, res) => {
        req.on('data', (d) => (received += d));
        req.on('end', () => {
          answer = () => res.end('{"ok":true}');
          resolve();
        });
      };
    });
    let sentCalls = 0;
    let answered = false;
    let sent!: () => void;
    const onSent = new Promise<void>((resolve) => (sent = resolve));
    const response = guardedFetch(LOCAL, { onSent: () => (sentCalls++, sent()) })(`http://127.0.0.1:${port}/token`, { method: 'POST', body: 'code=x' });
    void response.then(() => (answered = true));
    await Promise.all([onSent, answerReady]);
    // The server has the whole request and has not answered: sent, not answered.
    expect(received).toBe('code=x');
    expect(answered).toBe(false);
    answer();
    expect((await response).status).toBe(200);
    expect(sentCalls).toBe(1);
  });
});

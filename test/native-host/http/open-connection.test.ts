/**
 * The CONNECT to a corporate proxy (open-connection.ts) under a signal, against the real
 * forward-proxy fixture told to hang: it accepts the connection, reads the CONNECT and never
 * answers. A timeout is the host's "timeout" failure naming the proxy, a cancel an AbortError, and
 * either way the connection to the proxy is closed, not left open behind a rejected request.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { httpRequest, NetworkError } from '../../../native-host/http/http-request';
import { openConnection } from '../../../native-host/http/open-connection';
import { startForwardProxy, type ForwardProxy } from '../../fixtures/forward-proxy';

let proxy: ForwardProxy;
// Never reached: the proxy never opens the tunnel.
const server = new URL('http://127.0.0.1:9/mcp');

beforeAll(async () => {
  proxy = await startForwardProxy();
  proxy.silent = true;
});
afterAll(() => proxy?.close());
beforeEach(() => {
  proxy.requests = [];
});

const env = () => ({ HTTP_PROXY: proxy.url });
const request = (signal: AbortSignal) =>
  httpRequest(server, { method: 'GET', headers: {}, signal, maxBytes: 1024, readBody: true, tooLarge: () => new Error('too large'), env: env() });

/** The proxy saw the CONNECT, and its connection from us is closed again. */
async function connectSeenAndClosed(): Promise<void> {
  expect(proxy.requests).toEqual([{ method: 'CONNECT', target: '127.0.0.1:9' }]);
  await vi.waitFor(() => expect(proxy.openConnections()).toBe(0), { timeout: 5000 });
}

describe('a proxy that never answers CONNECT', () => {
  it('a timeout: NetworkError "timeout" naming the proxy, and the socket to it destroyed', async () => {
    const error = await request(AbortSignal.timeout(300)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).kind).toBe('timeout');
    expect((error as NetworkError).message).toBe(
      `the proxy ${proxy.url} (HTTP_PROXY) did not answer the request to connect to 127.0.0.1:9 in time (timed out); the proxy or the network is slow or down: ` +
        'try again later, or list the host in NO_PROXY to connect directly (MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS sets the limit)',
    );
    await connectSeenAndClosed();
  });

  it('a cancel: an AbortError, as for a cancelled direct request, and the socket destroyed', async () => {
    const cancel = new AbortController();
    const pending = openConnection(server, { env: env(), signal: cancel.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(proxy.requests).toHaveLength(1), { timeout: 5000 });
    cancel.abort();
    const error = (await pending) as Error;
    expect(error.name).toBe('AbortError');
    expect(error).not.toBeInstanceOf(NetworkError);
    await connectSeenAndClosed();
  });

  it('a signal aborted before the call: no connection to the proxy at all', async () => {
    const error = await openConnection(server, { env: env(), signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(proxy.requests).toEqual([]);
    expect(proxy.openConnections()).toBe(0);
  });
});

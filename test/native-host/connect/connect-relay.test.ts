/**
 * connect's relay (jsonrpc-relay.ts and the session under it) in-process: an SDK Client on one end
 * of an in-memory pair, the relay on the other, a real SDK MCP server over stateful Streamable
 * HTTP on loopback behind connect's own fetches. A fixed token (authorized-fetch.ts's handling of
 * tokens is tested in connect-parts): this is the pipe, a session ended by DELETE, and a server
 * that stays away.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { authorizedFetch } from '../../../native-host/connect/authorized-fetch';
import { httpFetch } from '../../../native-host/connect/http-fetch';
import { JsonRpcRelay } from '../../../native-host/connect/jsonrpc-relay';
import type { TokenSource } from '../../../native-host/connect/token-source';

interface EchoServer {
  url: string;
  deletes: number;
  /** The MCP-Protocol-Version header of each request after initialize. */
  versions: (string | undefined)[];
  listen(): Promise<void>;
  stop(): Promise<void>;
}

/** An MCP server with one tool, `echo`; stop() and listen() take it away and bring it back on the same port. */
async function echoServer(): Promise<EchoServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let http: Server | undefined;
  let port = 0;
  const server: EchoServer = {
    url: '',
    deletes: 0,
    versions: [],
    async listen() {
      http = createServer((req, res) => void handle(req, res));
      await new Promise<void>((r) => http!.listen(port, '127.0.0.1', r));
      port = (http.address() as AddressInfo).port;
      server.url = `http://127.0.0.1:${port}/mcp`;
    },
    async stop() {
      for (const t of sessions.values()) await t.close();
      sessions.clear();
      http?.closeAllConnections();
      await new Promise((r) => http?.close(r));
    },
  };
  const handle = async (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body: unknown = raw ? JSON.parse(raw) : undefined;
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      if (!isInitializeRequest(body)) return void res.writeHead(404).end();
      const created = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void sessions.set(sid, created) });
      const mcp = new McpServer({ name: 'relay-test', version: '1.0.0' });
      mcp.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
      await mcp.connect(created);
      transport = created;
    } else {
      server.versions.push(req.headers['mcp-protocol-version'] as string | undefined);
    }
    if (req.method === 'DELETE') server.deletes += 1;
    await transport.handleRequest(req, res, body);
  };
  await server.listen();
  return server;
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
});

async function relayTo(server: EchoServer, options: { replayTimeoutMs?: number } = {}) {
  const [clientSide, relaySide] = InMemoryTransport.createLinkedPair();
  const log: string[] = [];
  const fatal: string[] = [];
  const relay = new JsonRpcRelay(relaySide, {
    url: new URL(server.url),
    // connect's own fetches; a fixed token stands in for the token source (the server takes any).
    fetch: authorizedFetch({ tokens: { token: async () => 'token', serverUrl: server.url } as unknown as TokenSource, base: httpFetch({ timeoutMs: 5000 }) }),
    log: (line) => log.push(line),
    onFatal: (error) => fatal.push(error.message),
    backoff: { initialMs: 20, maxMs: 40 },
    ...options,
  });
  await relay.start();
  const client = new Client({ name: 'relay-test-client', version: '1.0.0' });
  await client.connect(clientSide);
  cleanup.push(() => client.close(), () => relay.close());
  const echo = async (text: string) => ((await client.callTool({ name: 'echo', arguments: { text } })).content as { text: string }[])[0]!.text;
  return { relay, client, log, fatal, echo };
}

describe('JsonRpcRelay', () => {
  it('passes requests and answers through, puts the negotiated protocol version on later requests, and ends the session with DELETE', async () => {
    const server = await echoServer();
    cleanup.push(() => server.stop());
    const { relay, client, echo } = await relayTo(server);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    expect(await echo('hello')).toBe('hello');
    expect(relay.kind).toBe('streamable-http');
    expect(server.versions.length).toBeGreaterThan(0);
    // The version the server chose in its initialize answer (the client asks for the latest, which it speaks).
    expect(new Set(server.versions)).toEqual(new Set([LATEST_PROTOCOL_VERSION]));
    await relay.close();
    expect(server.deletes).toBe(1);
  });

  it('a server away for longer than the bound on a new session\'s initialize: connect keeps trying, without an unhandled rejection, and serves again once it is back', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanup.push(async () => process.off('unhandledRejection', onUnhandled));
    const server = await echoServer();
    cleanup.push(() => server.stop());
    const { echo, log } = await relayTo(server, { replayTimeoutMs: 100 });
    expect(await echo('before')).toBe('before');

    await server.stop();
    const lost = await echo('while away').catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(McpError);
    // Refused, or reset (a kept-alive connection the server closed as it went): the host's kinds either way.
    expect((lost as McpError).data).toEqual({ kind: 'server-unreachable', network: expect.stringMatching(/^(refused|unreachable)$/) });
    // Several failed attempts, spanning a few times the bound on a replayed initialize.
    await vi.waitFor(() => expect(log.filter((l) => /^reconnecting \(attempt \d+\) failed/.test(l)).length).toBeGreaterThanOrEqual(5), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 400));
    expect(unhandled).toEqual([]);

    await server.listen();
    await vi.waitFor(() => expect(log.some((l) => l.startsWith('reconnected to'))).toBe(true), { timeout: 10_000 });
    expect(await echo('after')).toBe('after');
    expect(unhandled).toEqual([]);
  });
});

/**
 * The one fetch every OAuth request of the host goes through (oauth4webapi's `customFetch`, and
 * discovery's own requests). Two guards the platform fetch lacks:
 *
 * - Where it connects. For a remote MCP server, no request may reach this machine or its link-local
 *   neighbours (SSRF into local services, cloud metadata at 169.254.169.254): the host name is
 *   checked before anything is sent, and the address it resolves to is checked again at connect
 *   time (undici's `connect.lookup`), so a DNS name pointing at 127.0.0.1 is caught too, on the
 *   very connection that would be made (no check-then-resolve-again gap for DNS rebinding).
 * - How much it reads. oauth4webapi reads whole bodies, and the host is long-lived; a hostile
 *   server could stream hundreds of MB into it. Bodies are counted as they arrive and the request
 *   is aborted past the limit; the caller gets an ordinary Response built from the bounded bytes.
 *
 * undici is imported on first use: `mcp-login-bridge token` with a fresh token never loads it.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Dispatcher } from 'undici';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { isLocalAddress, isLocalHost } from '../../shared/local-host';

/**
 * Every response the host reads is a small JSON document (metadata, tokens, registration,
 * revocation, a 401 challenge): a few KiB even for the largest providers' OIDC discovery. One
 * limit for all keeps the rule simple to state and to test, and 256 KiB leaves a wide margin while
 * bounding what a login can cost the host.
 */
export const MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * Whether a login may touch this machine's loopback interface. Only a server that is itself on
 * this machine may name local URLs: otherwise a remote server could make the host send requests
 * to local services (its metadata names the URLs the host fetches).
 */
export interface NetworkPolicy {
  allowLoopback: boolean;
}

export type FetchFunction = (url: string, init?: RequestInit) => Promise<Response>;

export interface GuardOptions {
  maxBytes?: number;
  /** false: only status and headers matter (the challenge probe); the body is dropped unread. */
  readBody?: boolean;
  /** For tests: the resolver the connect-time check wraps (default: the system's). */
  lookup?: LookupFunction;
}

/** The refusal for a URL (origin, or host name at connect time) that is local while the server is not. */
export function localTargetRefused(where: string, address?: string): ProtocolError {
  const what = address ? `resolves to ${address}, an address on this machine or its link` : 'points at this machine or its link';
  // The hint is for the one legitimate case: a server on this machine named through DNS (policy
  // goes by the name the user gave, since a resolved address can change between two lookups).
  return new ProtocolError(
    ErrorCode.InsecureEndpoint,
    `${where} ${what}, but the MCP server is not local; refusing it (a server on this machine must be named localhost, *.localhost or by its address)`,
  );
}

/**
 * Wraps a resolver so that it fails for names resolving to loopback, unspecified or link-local
 * addresses. A name with several addresses is refused if any one is local: the connection may
 * pick any of them.
 */
export function remoteOnlyLookup(base: LookupFunction = dnsLookup as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    base(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      const addresses = Array.isArray(address) ? (address as LookupAddress[]).map((a) => a.address) : [address as string];
      const local = addresses.find(isLocalAddress);
      // Node types the error as ErrnoException; any Error travels through net the same way.
      if (local !== undefined) return callback(localTargetRefused(hostname, local) as Error as NodeJS.ErrnoException, address, family);
      callback(null, address, family);
    });
  };
}

type Undici = typeof import('undici');

/** undici is CommonJS: Node gives its exports as `default` too, the host bundle only as `default`. */
async function loadUndici(): Promise<Undici> {
  const mod = (await import('undici')) as Undici & { default?: Undici };
  return mod.default ?? mod;
}

let sharedRemoteOnly: Promise<Dispatcher> | undefined;
let sharedAny: Promise<Dispatcher> | undefined;

async function dispatcherFor(policy: NetworkPolicy, lookup: LookupFunction | undefined): Promise<Dispatcher> {
  const make = async (connect: { lookup?: LookupFunction }) => new (await loadUndici()).Agent({ connect });
  if (lookup) return make(policy.allowLoopback ? { lookup } : { lookup: remoteOnlyLookup(lookup) });
  if (policy.allowLoopback) return (sharedAny ??= make({}));
  return (sharedRemoteOnly ??= make({ lookup: remoteOnlyLookup() }));
}

/** Our refusal, wherever undici wrapped it ("fetch failed" → cause → …). */
function refusalIn(err: unknown): ProtocolError | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ProtocolError) return e;
  }
  return undefined;
}

function tooLarge(origin: string, maxBytes: number): Error {
  return new Error(`the response from ${origin} is larger than the ${Math.round(maxBytes / 1024)} KiB limit; refusing it`);
}

/** Statuses whose Response may not have a body (Fetch standard "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

async function boundedBody(body: ReadableStream<Uint8Array>, origin: string, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Cancelling the body aborts the request: the rest is never downloaded.
      await reader.cancel().catch(() => undefined);
      throw tooLarge(origin, maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(new ArrayBuffer(total));
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

export function guardedFetch(policy: NetworkPolicy, options: GuardOptions = {}): FetchFunction {
  const maxBytes = options.maxBytes ?? MAX_RESPONSE_BYTES;
  return async (input, init = {}) => {
    const url = new URL(input);
    // IP literals never reach a resolver (Node connects to them directly): check the name here.
    if (!policy.allowLoopback && isLocalHost(url.hostname)) throw localTargetRefused(url.origin);
    const undici = await loadUndici();
    const dispatcher = await dispatcherFor(policy, options.lookup);
    let response: Awaited<ReturnType<Undici['fetch']>>;
    try {
      // redirect: 'manual' always (oauth4webapi asks for it anyway): a followed redirect would be a
      // request to a URL nobody checked.
      response = await undici.fetch(url, { ...(init as object), redirect: 'manual', dispatcher } as Parameters<Undici['fetch']>[1]);
    } catch (err) {
      throw refusalIn(err) ?? err;
    }
    const headers = new Headers([...response.headers]);
    const init2 = { status: response.status, statusText: response.statusText, headers };
    if (!response.body || NULL_BODY.has(response.status)) return new Response(null, init2);
    if (options.readBody === false) {
      await response.body.cancel().catch(() => undefined);
      return new Response(null, init2);
    }
    const declared = Number(response.headers.get('content-length'));
    if (declared > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw tooLarge(url.origin, maxBytes);
    }
    const bytes = await boundedBody(response.body as ReadableStream<Uint8Array>, url.origin, maxBytes);
    return new Response(bytes, init2);
  };
}

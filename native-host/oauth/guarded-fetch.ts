/**
 * The one fetch every OAuth request of the host goes through (oauth4webapi's `customFetch`, and
 * discovery's own requests). Two guards the platform fetch lacks:
 *
 * - Where it connects. For a remote MCP server, no request may reach this machine or its link-local
 *   neighbours (SSRF into local services, cloud metadata at 169.254.169.254): the host name is
 *   checked before anything is sent, and the address it resolves to is checked again at connect
 *   time (the socket's `lookup`), so a DNS name pointing at 127.0.0.1 is caught too, on the
 *   very connection that would be made (no check-then-resolve-again gap for DNS rebinding).
 * - How much it reads. oauth4webapi reads whole bodies, and the host is long-lived; a hostile
 *   server could stream hundreds of MB into it. Bodies are counted as they arrive and the request
 *   is aborted past the limit; the caller gets an ordinary Response built from the bounded bytes.
 *
 * The requests themselves go out through Node's http/tls (http-request.ts), honouring a proxy from
 * the environment; with a proxy, the proxy resolves the name, so only the name check applies.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { isLocalAddress, isLocalHost } from '../../shared/local-host';
import { httpRequest, type HttpResponse } from '../http/http-request';
import { WarmConnection } from '../http/warm-connection';

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
  /** Called once each request has been sent (see HttpRequestOptions.onSent). */
  onSent?: () => void;
  /** A connection opened ahead with `preconnect` (under the same policy), for the request to its origin. */
  warm?: WarmConnection;
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

/** Our refusal, wherever the socket wrapped it. */
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

/** fetch's header forms (a Headers object, pairs, a record) as a plain record, without touching `Headers`. */
function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  const pairs: Iterable<[string, string]> =
    Array.isArray(headers) || typeof (headers as { entries?: unknown }).entries === 'function'
      ? (Array.isArray(headers) ? headers : (headers as Headers).entries()) as Iterable<[string, string]>
      : Object.entries(headers as Record<string, string>);
  for (const [name, value] of pairs) out[name.toLowerCase()] = String(value);
  return out;
}

/** The body forms oauth4webapi and discovery send. */
function bodyBytes(body: RequestInit['body']): Uint8Array | string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError('guardedFetch sends string, URLSearchParams or byte bodies only');
}

/** The resolver a request under `policy` connects with (undefined: the system's, unchecked). */
function lookupFor(policy: NetworkPolicy, base: LookupFunction | undefined): LookupFunction | undefined {
  return policy.allowLoopback ? base : remoteOnlyLookup(base);
}

/**
 * Opens a connection to `url`'s origin now, under the same checks as guardedFetch, for one later
 * request that passes it as `warm` (a login's code exchange: warm-connection.ts). Undefined when
 * the policy refuses the origin: that request then fails where guardedFetch refuses it.
 */
export function preconnect(url: URL, policy: NetworkPolicy, options: { maxAgeMs: number; lookup?: LookupFunction }): WarmConnection | undefined {
  if (!policy.allowLoopback && isLocalHost(url.hostname)) return undefined;
  // Given a resolver even where the policy needs none, so the warm connection keeps its answer.
  const lookup = lookupFor(policy, options.lookup) ?? (dnsLookup as LookupFunction);
  return new WarmConnection(url, { maxAgeMs: options.maxAgeMs, lookup });
}

export function guardedFetch(policy: NetworkPolicy, options: GuardOptions = {}): FetchFunction {
  const maxBytes = options.maxBytes ?? MAX_RESPONSE_BYTES;
  return async (input, init = {}) => {
    const url = new URL(input);
    // IP literals never reach a resolver (Node connects to them directly): check the name here.
    if (!policy.allowLoopback && isLocalHost(url.hostname)) throw localTargetRefused(url.origin);
    const lookup = lookupFor(policy, options.lookup);
    let answer: HttpResponse;
    try {
      // Redirects are never followed (oauth4webapi asks for 'manual' anyway): a followed redirect
      // would be a request to a URL nobody checked.
      answer = await httpRequest(url, {
        method: init.method ?? 'GET',
        headers: headerRecord(init.headers),
        body: bodyBytes(init.body),
        signal: init.signal ?? undefined,
        ...(lookup ? { lookup } : {}),
        ...(options.onSent ? { onSent: options.onSent } : {}),
        ...(options.warm ? { warm: options.warm } : {}),
        maxBytes,
        readBody: options.readBody !== false,
        tooLarge: () => tooLarge(url.origin, maxBytes),
      });
    } catch (err) {
      throw refusalIn(err) ?? err;
    }
    const responseInit = { status: answer.status, statusText: answer.statusText, headers: answer.headers };
    return new Response(NULL_BODY.has(answer.status) ? null : answer.body, responseInit);
  };
}

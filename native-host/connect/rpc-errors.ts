/**
 * The JSON-RPC errors `connect` itself answers a client's request with, when the remote server
 * cannot: one code (the SDK's ConnectionClosed range), and a `data.kind` a client or script can
 * branch on without reading the sentence; when the way to the server failed, `data.network` says
 * how (dns, refused, timeout, unreachable, tls, proxy-refused, proxy-unreachable), the kinds
 * `login` and `token` report. PROTOCOL.md ("`connect`'s JSON-RPC errors") and README ("connect")
 * list them.
 */
import type { JSONRPCErrorResponse, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { NetworkFailure } from '../http/network-error';

/** -32000: the JSON-RPC "server error" range; the MCP SDK uses it for a closed connection. */
export const CONNECT_ERROR_CODE = -32000;

/**
 * Every `data.kind`, in one list a test compares with PROTOCOL.md ("`connect`'s JSON-RPC errors"):
 * adding a kind here without documenting it fails that test.
 */
export const CONNECT_ERROR_KINDS = [
  /** The server did not answer at all (connection refused, DNS, reset, timeout). */
  'server-unreachable',
  /** The connection dropped while the request was in flight; `connect` is reconnecting. */
  'connection-lost',
  /** No login for the server: `login` (or `connect` without --no-login) makes one. */
  'not-logged-in',
  /** The stored login cannot be refreshed (revoked, expired): log in again. */
  'login-needed',
  /** The server wants scopes the login could not get (step-up failed or was refused). */
  'insufficient-scope',
  /** The server refused the token even after a refresh. */
  'unauthorized',
  /** Any other HTTP failure the server answered with. */
  'http-error',
] as const;

export type ConnectErrorKind = (typeof CONNECT_ERROR_KINDS)[number];

export class ConnectError extends Error {
  constructor(
    readonly kind: ConnectErrorKind,
    message: string,
    readonly status?: number,
    /** Which way to the server failed (the host's network failure kinds): `data.network`. */
    readonly network?: NetworkFailure,
  ) {
    super(message);
  }
}

export function errorResponse(id: RequestId, error: ConnectError): JSONRPCErrorResponse {
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: CONNECT_ERROR_CODE,
      message: error.message,
      data: { kind: error.kind, ...(error.status ? { status: error.status } : {}), ...(error.network ? { network: error.network } : {}) },
    },
  };
}

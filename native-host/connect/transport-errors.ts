/**
 * A failure of the server's transport as the client reads it: the SDK's transport errors (an HTTP
 * status, a closed connection) become `connect`'s own JSON-RPC errors (rpc-errors.ts), and nothing
 * the server sent is echoed at length.
 */
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ConnectError } from './rpc-errors';

export function asConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof StreamableHTTPError) {
    if (error.code === 404) return new ConnectError('connection-lost', 'the server no longer knows this session (HTTP 404); reconnecting', 404);
    const status = typeof error.code === 'number' && error.code > 0 ? error.code : undefined;
    return new ConnectError('http-error', `the server answered with an error: ${error.message.slice(0, 300)}`, status);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (message === 'Not connected') return new ConnectError('connection-lost', 'the connection to the server is not open; reconnecting');
  return new ConnectError('http-error', `the request to the server failed: ${message.slice(0, 300)}`);
}

/** The connection is gone (or was never there): `connect` reconnects rather than report one request. */
export function isConnectionFailure(error: ConnectError): boolean {
  return error.kind === 'server-unreachable' || error.kind === 'connection-lost';
}

/** " (ECONNRESET)" for an error with an errno code; nothing the server sent. */
export function errnoSuffix(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? ` (${code})` : '';
}

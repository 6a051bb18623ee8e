/**
 * The error for a failure of the way to the server rather than of the server. Its own module so
 * that the connection code (open-connection.ts) and the request code (http-request.ts) share it
 * without importing each other.
 */
/**
 * Every kind, in one list a test compares with PROTOCOL.md (`connect`'s `data.network`): adding a
 * kind here without documenting it fails that test.
 */
export const NETWORK_FAILURES = ['dns', 'refused', 'timeout', 'unreachable', 'tls', 'proxy-refused', 'proxy-unreachable'] as const;

export type NetworkFailure = (typeof NETWORK_FAILURES)[number];

/** A failure of the way to the server rather than of the server: says which part, and what to set. */
export class NetworkError extends Error {
  constructor(
    readonly kind: NetworkFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

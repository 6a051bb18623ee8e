/**
 * The error for a failure of the way to the server rather than of the server. Its own module so
 * that the connection code (open-connection.ts) and the request code (http-request.ts) share it
 * without importing each other.
 */
export type NetworkFailure = 'proxy-unreachable' | 'proxy-refused' | 'tls' | 'dns' | 'refused' | 'timeout' | 'unreachable';

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

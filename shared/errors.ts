/**
 * Numbered errors of the host protocol. PROTOCOL.md has the table with what the user should do for
 * each; keep them in step. Numbers are never reused.
 */
export const ErrorCode = {
  // 1xx: the message itself
  FrameTooLarge: 100,
  MalformedMessage: 101,
  UnknownType: 102,
  InvalidField: 103,
  CallerNotAllowed: 104,
  // 2xx: discovery and registration
  DiscoveryFailed: 200,
  IssuerMismatch: 201,
  InsecureEndpoint: 202,
  PkceUnsupported: 203,
  NoClient: 204,
  RegistrationFailed: 205,
  ClientNotEnabled: 206,
  // 3xx: the callback
  UnknownState: 300,
  StateAlreadyUsed: 301,
  StateExpired: 302,
  IssuerResponseMismatch: 303,
  AuthorizationDenied: 304,
  InvalidCallback: 305,
  LoginLinkReused: 306,
  CallbackCookieMissing: 307,
  // 4xx: tokens
  TokenExchangeFailed: 400,
  NoRefreshToken: 401,
  RefreshFailed: 402,
  LoginNeeded: 403,
  NotLoggedIn: 404,
  // 5xx: storage and the local machine
  KeychainUnavailable: 500,
  StoreFailed: 501,
  ConfigInvalid: 502,
  Internal: 599,
} as const;

const NAMES = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

export function errorName(code: number): string {
  return NAMES.get(code) ?? 'Internal';
}

/** An error whose message is safe to show the user: it never contains a secret. */
export class ProtocolError extends Error {
  readonly code: number;
  constructor(code: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

/** A thrown value as one bounded line for a log: its message, or its text when it is not an Error. */
export function errorText(error: unknown, max = 200): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, max);
}

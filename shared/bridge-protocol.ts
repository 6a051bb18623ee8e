/**
 * The loopback bridge: how a CLI process (`mcp-login-bridge login`, `doctor`) talks to a host the
 * browser started, over a WebSocket on 127.0.0.1 (DESIGN.md §3.3, §5). PROTOCOL.md, section
 * "Bridge", is the prose form of this file; change both together.
 *
 * Every request is `{ id, type, ...fields }`. Answers carry the request's `id`: zero or more
 * events `{ id, event, ... }` while it runs, then exactly one final `{ id, ok: true, data }` or
 * `{ id, ok: false, error }` (the native envelope). Nothing on the bridge carries a token, a code
 * or a PKCE verifier.
 */
import { ErrorCode } from './errors';
import { fail, requireObject, requireString, requireUrl } from './message-fields';
import { LIMITS, type BeginResult, type CompleteResult, type ErrorBody } from './protocol';

export const BRIDGE_LIMITS = {
  /** Largest message either side accepts (ws `maxPayload`); a larger one closes the connection. */
  maxMessageBytes: 64 * 1024,
  /** Connections a host serves at once; more are refused (503). */
  maxConnections: 8,
  /** Logins one connection may have in progress. */
  maxLoginsPerConnection: 2,
} as const;

/** The header that carries the secret from the runtime file (browsers cannot set it). */
export const BRIDGE_SECRET_HEADER = 'x-mcp-login-bridge-secret';

export interface BridgeHelloRequest {
  id: string;
  type: 'hello';
}

export interface BridgeLoginRequest {
  id: string;
  type: 'login';
  /** The MCP server to log in to, as the CLI resolved it. */
  serverUrl: string;
}

export type BridgeRequest = BridgeHelloRequest | BridgeLoginRequest;

export interface BridgeHelloResult {
  hostVersion: string;
  protocolVersion: number;
  pid: number;
  /** The browser that started this host, as the host recognised it (e.g. "chromium"). */
  browser: string;
}

/** Sent once the host has begun the flow and asked the extension to open it. */
export interface BridgeOpeningEvent {
  id: string;
  event: 'opening';
  flow: BeginResult;
}

export type BridgeEvent = BridgeOpeningEvent;

export type BridgeFinal<T> = { id: string; ok: true; data: T } | { id: string; ok: false; error: ErrorBody };

export type BridgeLoginFinal = BridgeFinal<CompleteResult>;

/** Validates one decoded bridge message, like parseRequest does for native ones. */
export function parseBridgeRequest(value: unknown): BridgeRequest {
  const obj = requireObject(value);
  const id = requireString(obj, 'id', LIMITS.maxIdLength);
  switch (obj.type) {
    case 'hello':
      return { id, type: 'hello' };
    case 'login':
      return { id, type: 'login', serverUrl: requireUrl(obj, 'serverUrl') };
    default:
      fail(
        `unknown bridge message type ${JSON.stringify(String(obj.type)).slice(0, 80)}; expected hello or login`,
        ErrorCode.UnknownType,
      );
  }
}

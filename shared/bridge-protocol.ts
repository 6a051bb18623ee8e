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
import { fail, optionalNameList, optionalScopeList, requireServerUrl } from './message-fields';
import { CLIENT_NAMES, type BeginResult, type ClientName, type CompleteResult } from './protocol';
import { parserFor, readEnvelope, type RequestParsers } from './request-parsers';

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
/** The CLI's fresh nonce, and the host's answer proving it holds the secret too (native-host/bridge/bridge-proof.ts). */
export const BRIDGE_NONCE_HEADER = 'x-mcp-login-bridge-nonce';
export const BRIDGE_PROOF_HEADER = 'x-mcp-login-bridge-proof';

/**
 * What a host can do beyond protocol version 1, listed in its `hello` answer. Hosts ignore fields
 * they do not know, so a CLI must not send a field whose meaning matters to a host that does not
 * list it: a host without `login.clients` would drop `clients` and write to every client.
 */
export const BRIDGE_CAPABILITIES = {
  /** `login` honours `clients`. */
  loginClients: 'login.clients',
  /** `login` honours `scopes` (a step-up asked for by `connect`). */
  loginScopes: 'login.scopes',
} as const;

export type BridgeCapability = (typeof BRIDGE_CAPABILITIES)[keyof typeof BRIDGE_CAPABILITIES];

export interface BridgeHelloRequest {
  id: string;
  type: 'hello';
}

export interface BridgeLoginRequest {
  id: string;
  type: 'login';
  /** The MCP server to log in to, as the CLI resolved it. */
  serverUrl: string;
  /**
   * Write the login only to these local clients (our own keychain entry is always written); an
   * empty list means none. Absent: every client that has the server configured.
   *
   * There is deliberately no field for `login --write-config`: the CLI edits the client's config
   * (Codex's config.toml) itself after the login (applyClientAdvice). That edit changes a file the user wrote and
   * puts a client secret in it; it belongs to the process the user ran with that flag, in the user's
   * shell environment, and a socket message to a long-lived browser-started host should not be able
   * to make it rewrite config files. The host's notices (kind `settings-missing`) say which lines are missing.
   */
  clients?: ClientName[];
  /**
   * Ask the provider for exactly these scopes instead of the ones discovery finds: `connect`'s
   * step-up, after the server answered 403 `insufficient_scope`, asks for the scopes the login
   * holds plus the challenged ones. Absent: the discovered scopes, as before.
   */
  scopes?: string[];
}

export type BridgeRequest = BridgeHelloRequest | BridgeLoginRequest;

export interface BridgeHelloResult {
  hostVersion: string;
  protocolVersion: number;
  pid: number;
  /** The browser that started this host, as the host recognised it (e.g. "chromium"). */
  browser: string;
  /** Absent from hosts older than the first capability: treat as none. */
  capabilities?: BridgeCapability[];
}

/** Sent once the host has begun the flow and asked the extension to open it. */
export interface BridgeOpeningEvent {
  id: string;
  event: 'opening';
  flow: BeginResult;
}

/** Each bridge request's fields (PROTOCOL.md, "Bridge"). */
export const BRIDGE_REQUEST_PARSERS: RequestParsers<BridgeRequest> = {
  hello: (_fields, id) => ({ id, type: 'hello' }),
  login: (fields, id) => {
    const serverUrl = requireServerUrl(fields, 'serverUrl');
    const clients = optionalNameList(fields, 'clients', CLIENT_NAMES);
    const scopes = optionalScopeList(fields, 'scopes');
    return { id, type: 'login', serverUrl, ...(clients ? { clients } : {}), ...(scopes ? { scopes } : {}) };
  },
};

export function unknownBridgeRequestType(type: unknown): never {
  fail(`unknown bridge message type ${JSON.stringify(String(type)).slice(0, 80)}; expected hello or login`, ErrorCode.UnknownType);
}

/** Validates one decoded bridge message, like parseRequest does for native ones. */
export function parseBridgeRequest(value: unknown): BridgeRequest {
  const { fields, id } = readEnvelope(value);
  const parse = parserFor(BRIDGE_REQUEST_PARSERS, fields.type);
  if (!parse) unknownBridgeRequestType(fields.type);
  return (parse as (fields: Record<string, unknown>, id: string) => BridgeRequest)(fields, id);
}

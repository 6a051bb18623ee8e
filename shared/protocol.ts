/**
 * The messages the native host accepts, their results and their errors. PROTOCOL.md at the repo
 * root is the prose form of this file; change both together.
 *
 * Every request is `{ id, type, ...fields }`; every response echoes `id` and is either
 * `{ id, ok: true, data }` or `{ id, ok: false, error: { code, name, message } }`.
 * No result or error ever carries a token, a code or a PKCE verifier.
 *
 * The types and limits only; how a request is validated into these types is `request-parsers.ts`.
 */
import { ProtocolError, ErrorCode } from './errors';
import { MAX_URL_LENGTH } from './message-fields';
import type { ProviderRule } from './providers';

export { ProtocolError, ErrorCode };

export const LIMITS = {
  /** Largest browser→host frame the host reads; a larger declared length is refused unread. */
  maxRequestBytes: 64 * 1024,
  /** Chrome drops host→browser messages over 1 MiB; we stay well below. */
  maxResponseBytes: 512 * 1024,
  /** Longest URL accepted in any field (authorize and callback URLs included). */
  maxUrlLength: MAX_URL_LENGTH,
  /** Longest request id. */
  maxIdLength: 64,
  /** Longest OAuth `state` the extension accepts from the host (in `begin` and in pushes). */
  maxStateLength: 512,
  /** How long a begun flow waits for its callback. */
  flowTtlMs: 10 * 60 * 1000,
} as const;

export type RequestType = 'hello' | 'begin' | 'complete' | 'status' | 'logout';

export interface HelloRequest {
  id: string;
  type: 'hello';
  /** The extension's version, for the host's diagnostics. */
  extensionVersion?: string;
}

export interface BeginRequest {
  id: string;
  type: 'begin';
  /** The MCP server's URL (its protected resource), e.g. `https://example.com/mcp`. */
  serverUrl: string;
}

export interface CompleteRequest {
  id: string;
  type: 'complete';
  /** The full loopback callback URL the provider redirected to (`?code=…&state=…[&iss=…]`). */
  callbackUrl: string;
}

export interface StatusRequest {
  id: string;
  type: 'status';
}

/** Forget the bridge's login for one server and revoke it at the provider (the popup's "Log out"). */
export interface LogoutRequest {
  id: string;
  type: 'logout';
  serverUrl: string;
}

export type Request = HelloRequest | BeginRequest | CompleteRequest | StatusRequest | LogoutRequest;

export interface HelloResult {
  hostVersion: string;
  protocolVersion: number;
  /** Provider rules from the host's config file, so the extension can apply them too. */
  configRules: ProviderRule[];
}

export interface BeginResult {
  /** The `state` of this flow; the extension dedupes callbacks by it. */
  state: string;
  /** Where to send the browser. */
  authorizeUrl: string;
  /** The loopback redirect URI in the authorize URL; the extension captures requests to it. */
  redirectUri: string;
  /** The authorization server's issuer identifier (RFC 8414). */
  issuer: string;
  /** Ids of the provider rules applied to the authorize URL. */
  appliedRules: string[];
  /** Epoch ms after which the host refuses this flow's callback. */
  expiresAt: number;
}

/**
 * The local MCP clients a login can also be written to (our own 'bridge' entry always is). One
 * adapter per name in native-host/clients/<name>/, listed in native-host/clients/registry.ts.
 */
export const CLIENT_NAMES = ['codex', 'claude-code', 'gemini-cli', 'mcp-remote'] as const;

export type ClientName = (typeof CLIENT_NAMES)[number];

/** Where a login can be stored: our own keychain entry, or a local MCP client's own store. */
export type TargetName = 'bridge' | ClientName;

export interface StoredTarget {
  target: TargetName;
  /** Where it was written, for the user (e.g. "keychain service mcp-login-bridge"). */
  location: string;
  /** For a client target: the server's name in that client's configuration. */
  server?: string;
}

/**
 * What a client notice is about, for code to decide on (the `message` is for people only and may
 * change). PROTOCOL.md, "Client notices", says what each means and what the user does about it.
 */
export const CLIENT_NOTICE_KINDS = [
  /** A client's config file (or one server entry in it) could not be read: its servers are missing. */
  'config-unreadable',
  /** `--client` named a client that has no server with exactly this URL: nothing written there. */
  'not-configured',
  /** The client's copy was not written (its store refused, its lock was held too long, …). */
  'write-failed',
  /** A preflight found the client's store unwritable: a login would not reach it. */
  'store-unwritable',
  /** The client's config names another OAuth client id: its copy was left alone. */
  'client-id-mismatch',
  /** Written, but the client refreshes only with settings its config lacks; the message says which. */
  'settings-missing',
  /** `login --write-config` added those settings to the client's config. */
  'settings-added',
  /** `login --write-config` could not add them; the message says why and what to add by hand. */
  'config-edit-failed',
  /** Written, but an older entry elsewhere in the client's stores could come back into force. */
  'stale-entry',
  /** Not written: the server's headers helper asks `mcp-login-bridge token`, so the client needs no copy. */
  'asks-token',
] as const;

export type ClientNoticeKind = (typeof CLIENT_NOTICE_KINDS)[number];

/** Something the user should know about a client the login was (or was not) written to. */
export interface ClientNotice {
  target: ClientName;
  kind: ClientNoticeKind;
  /** The server's name in that client's configuration, when the notice is about one. */
  server?: string;
  /** What happened and what to do; names files and settings, never a secret. */
  message: string;
}

export interface Warning {
  code: number;
  name: string;
  message: string;
}

export interface CompleteResult {
  serverUrl: string;
  issuer: string;
  /** Which account was logged in ("you@example.com"), when the provider said (shared/account.ts). */
  account?: string;
  stored: StoredTarget[];
  /** Whether a refresh token was issued and stored. */
  refreshCapable: boolean;
  /** Epoch ms when the access token expires, or null when the server did not say. */
  expiresAt: number | null;
  scope: string;
  /** Set when the login worked but is not what the user wanted (no refresh token). */
  warning?: Warning;
  /** About the clients the login was written to or could not be. */
  notices?: ClientNotice[];
  /**
   * Milliseconds the host spent from receiving the callback to the stored credential; `cpuMs`: the
   * host process's CPU time meanwhile (the rest of `totalMs` it waited: for the provider, the
   * keychain, or its turn on a busy machine).
   */
  timings: { totalMs: number; tokenEndpointMs: number; storeMs: number; cpuMs?: number };
}

export interface CredentialSummary {
  serverUrl: string;
  issuer: string;
  /** Which account the login is for, when the provider said at login (shared/account.ts). */
  account?: string;
  clientId: string;
  scope: string;
  expiresAt: number | null;
  refreshCapable: boolean;
  /** Why not, when `refreshCapable` is false: none was issued, or the provider refused it. */
  reason?: string;
  /** The provider refused the refresh token: `token` refuses this login until the user logs in again. */
  loginNeeded?: true;
  store: 'bridge';
}

/** A local client's own login for one of its configured servers (never a secret). */
export interface ClientLoginSummary {
  client: ClientName;
  /** How the client is called for people ("Codex"), so a display needs no list of its own. */
  label?: string;
  /** The server's name in that client's configuration. */
  server: string;
  serverUrl: string;
  /** The client will use it now (or can renew it by itself). */
  loggedIn: boolean;
  /** The client can renew it by itself, with what it has stored and configured. */
  refreshCapable: boolean;
  expiresAt: number | null;
  issuer?: string;
  /** Which of the client's stores holds it, in that client's words ("keyring", "file", "keychain"). */
  store?: string;
  /** Why it is not logged in or not refresh-capable, and what to do. */
  reason?: string;
}

export interface StatusResult {
  credentials: CredentialSummary[];
  /** Keychain entries of ours that cannot be read (the error names the server and field, never a value). */
  damaged?: Array<{ serverUrl: string; error: string }>;
  /** Logins as the local clients hold them, per configured server. */
  clients?: ClientLoginSummary[];
  /** The clients' configs that could not be read (kind `config-unreadable`): their servers are missing above. */
  clientProblems?: ClientNotice[];
  /** Flows begun and not yet completed or expired. */
  pendingFlows: number;
}

/** One place a login was removed from. */
export interface LogoutRemoved {
  target: TargetName;
  /** Where it was, for people (never a secret). */
  location: string;
  /** The client's name for the server, for a client's copy. */
  server?: string;
}

type RevocableToken = 'refresh_token' | 'access_token';

/** What became of the login at the provider (RFC 7009). */
export type LogoutRevocation =
  | { status: 'revoked'; tokens: RevocableToken[]; notRevocable: RevocableToken[] }
  /** The endpoint took none of the tokens: nothing was revoked. */
  | { status: 'notRevocable'; notRevocable: RevocableToken[] }
  /** The provider offers no revocation endpoint. */
  | { status: 'unsupported' }
  /** Not attempted, and why (a client still uses the same login, the entry was unreadable, …). */
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; reason: string };

export interface LogoutResult {
  serverUrl: string;
  removed: LogoutRemoved[];
  /** Absent when there was nothing of ours to revoke. */
  revocation?: LogoutRevocation;
}

export interface ErrorBody {
  code: number;
  name: string;
  message: string;
}

export type Response<T = unknown> =
  | { id: string; ok: true; data: T }
  | { id: string; ok: false; error: ErrorBody };

/**
 * A message the host sends the extension unasked. It has `push` and no `id`, so it can never be
 * taken for a response. PROTOCOL.md, "Host → extension pushes".
 */
export interface OpenLoginPush {
  push: 'openLogin';
  /** The MCP server a CLI asked (over the bridge) to log in to. */
  serverUrl: string;
  /** The flow the host began: the extension opens and captures it exactly like its own. */
  flow: BeginResult;
}

/**
 * A flow this host began was completed (or failed) by its own loopback listener rather than by
 * the extension's `complete`: the capture missed the callback (another browser, say). Carries the
 * flow's `state`, so the extension can match it to its login, and either the `complete` result or
 * the `complete` error; never a token or the callback's code.
 */
export type FlowSettledPush =
  | { push: 'flowSettled'; state: string; result: CompleteResult; error?: undefined }
  | { push: 'flowSettled'; state: string; error: ErrorBody; result?: undefined };

export type HostPush = OpenLoginPush | FlowSettledPush;

/** Whether a host message is a push (a `push` field, no `id`) rather than a response. */
export function isHostPush(value: unknown): value is { push: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'push' in value && !('id' in value);
}

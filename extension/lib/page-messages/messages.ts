/**
 * Messages between the extension's pages (popup, callback page) and its background, and their
 * replies. Every incoming message is validated here before the background acts on it, and only
 * the extension's own pages are listened to.
 */
import { LIMITS, type LogoutResult, type StatusResult } from '../../../shared/protocol';
import type { DisplayError } from '../extension-errors';
import type { ResultSummary } from '../ui/result-summary';

export type InternalMessage =
  /** Popup: the most recent login results (newest first), no host round trip. */
  | { kind: 'getResults' }
  /** Popup: is the native host reachable? Connects and sends `hello` if not done on this port. */
  | { kind: 'checkHost' }
  /** Popup: the logins the host knows of (its `status`), asked afresh each time, never stored. */
  | { kind: 'getStatus' }
  /** Popup: forget the bridge's login for this MCP server (after the user confirmed). */
  | { kind: 'logout'; serverUrl: string }
  /** Popup: start a login for this MCP server. */
  | { kind: 'authorize'; serverUrl: string }
  /** Callback page: the query string of the captured callback (`code=…&state=…`). */
  | { kind: 'callback'; query: string };

export type HostStatus =
  | { connected: true; hostVersion: string; protocolVersion: number }
  | { connected: false; error: DisplayError };

/** The host's `status`, or why it could not be had (plain data: it crosses the message channel). */
export type LoginStatusReply =
  /** `waitingHere`: sign-ins open in a tab of this browser (the host's own count keeps flows whose tab was closed until they expire). */
  | { ok: true; status: StatusResult; waitingHere?: number }
  | { ok: false; error: DisplayError };

/** The host's `logout` result, or why it failed (plain data: it crosses the message channel). */
export type LogoutReply = { ok: true; result: LogoutResult } | { ok: false; error: DisplayError };

export interface Replies {
  getResults: { results: ResultSummary[] };
  checkHost: { host: HostStatus };
  getStatus: { logins: LoginStatusReply };
  authorize: { summary: ResultSummary };
  logout: { logout: LogoutReply };
  callback: { summary: ResultSummary };
}

export type MessageKind = InternalMessage['kind'];
export type MessageOf<K extends MessageKind> = Extract<InternalMessage, { kind: K }>;

/** Returns the message typed, or null when it is not one of ours (wrong kind, fields, sizes). */
export function parseInternalMessage(value: unknown): InternalMessage | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  switch (v.kind) {
    case 'getResults':
    case 'checkHost':
    case 'getStatus':
      return { kind: v.kind };
    case 'logout':
      // Only ever a URL the host listed; the host checks it again.
      return typeof v.serverUrl === 'string' && v.serverUrl.length > 0 && v.serverUrl.length <= LIMITS.maxUrlLength ? { kind: 'logout', serverUrl: v.serverUrl } : null;
    case 'authorize':
      // The URL itself is checked by the login flow, which explains a bad one to the user.
      return typeof v.serverUrl === 'string' && v.serverUrl.length <= LIMITS.maxUrlLength ? { kind: 'authorize', serverUrl: v.serverUrl.trim() } : null;
    case 'callback':
      return typeof v.query === 'string' && v.query.length <= LIMITS.maxUrlLength ? { kind: 'callback', query: v.query } : null;
    default:
      return null;
  }
}

/** The part of `runtime.MessageSender` checked. */
export interface SenderLike {
  id?: string;
  url?: string;
  tab?: { id?: number; windowId?: number };
  /** 0 for a tab's top frame. */
  frameId?: number;
}

/**
 * Whether a message comes from one of this extension's own pages. `sender.id` alone would also
 * match our content scripts (none today, but they run inside web pages), so the sender's URL must
 * be on the extension's origin too.
 */
export function isFromOwnPage(sender: SenderLike, runtimeId: string, extensionOrigin: string): boolean {
  return sender.id === runtimeId && typeof sender.url === 'string' && sender.url.startsWith(extensionOrigin);
}

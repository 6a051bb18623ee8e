/**
 * What an entry of the handler table (dispatch.ts) is, and what each channel gives its handlers.
 * A channel is one way messages reach the host: native messaging from the extension, or the
 * loopback bridge from a CLI process. Both are answered by the same dispatcher (dispatch.ts).
 */
import type { HostPush } from '../../shared/protocol';
import type { BrowserIdentity } from '../bridge/browser-identity';
import type { HostContext } from '../host-context';

/** How one message type is validated and answered. */
export interface Handler<Session, Request, Data> {
  /** Validates the message's own fields; the envelope (an object with an `id`) is already read. */
  parse(fields: Record<string, unknown>, id: string): Request;
  /** The answer's `data`; a thrown ProtocolError becomes the error answer. */
  handle(request: Request, session: Session): Promise<Data>;
}

/** One handler per type of the channel's requests, and nothing else (the compiler checks both ways). */
export type HandlerTable<Session, R extends { id: string; type: string }> = {
  [T in R['type']]: Handler<Session, Extract<R, { type: T }>, unknown>;
};

/** What a native-messaging request may use. */
export interface NativeSession {
  ctx: HostContext;
}

/** What a bridge request may use: the connection it came on, and the extension behind this host. */
export interface BridgeSession {
  ctx: HostContext;
  /** The browser that started this host. */
  identity: BrowserIdentity;
  /** Sends a push to the extension that started this host (a native messaging frame). */
  push(message: HostPush): void;
  /** Marks the runtime file as recently used (the CLI prefers the most recently active host). */
  touch(): void;
  /** Sends a message on this connection (an event before a request's final answer); dropped once it closed. */
  send(message: unknown): void;
  /** The logins under way on this connection (bridge-login.ts). */
  logins: BridgeLogins;
}

/** The logins one bridge connection has under way. */
export interface BridgeLogins {
  /** Flows begun for it and waiting for their callback, each with how to abandon it; a CLI that goes away (Ctrl-C, timeout) abandons them. */
  waiting: Map<string, () => void>;
  /**
   * Logins whose `begin` is still running: they hold a slot of the per-connection limit from the
   * moment they are accepted, or logins sent together would all pass the check before any counts.
   */
  beginning: number;
  isOpen(): boolean;
}

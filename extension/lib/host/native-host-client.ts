/**
 * The one native messaging port to the host, and request/response matching over it.
 *
 * One port, not one per request: the browser starts a host process per port, and the host keeps a
 * flow's state and PKCE verifier in that process between `begin` and `complete`. An open port also
 * keeps the MV3 service worker alive while a login is pending. The port is opened lazily and, after
 * a disconnect, reopened by the next request; `hello` is sent once per port.
 */
import { LIMITS, isHostPush } from '../../../shared/protocol';
import type { BeginResult, CompleteResult, HelloResult, LogoutResult, RequestType, StatusResult } from '../../../shared/protocol';
import { PROTOCOL_VERSION } from '../../../shared/constants';
import { ExtensionError, HostError, explainDisconnect } from '../extension-errors';
import { parseBeginResult } from './begin-result';
import { parseCompleteResult } from './complete-result';
import { parseHelloResult, parseHostResponse } from './host-responses';
import { parseLogoutResult } from './logout-result';
import { parseStatusResult } from './status-result';

/** The part of `runtime.Port` this module uses, so tests can hand it a fake. */
export interface NativePortLike {
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(callback: (message: unknown) => void): void };
  onDisconnect: { addListener(callback: (port: NativePortLike) => void): void };
}

export interface NativeHostClientOptions {
  /** Opens a new port (`browser.runtime.connectNative(NATIVE_HOST_NAME)`); may throw. */
  connect: () => NativePortLike;
  /** Why a port closed: Chromium's `runtime.lastError` or Firefox's `port.error`, read in onDisconnect. */
  disconnectReason: (port: NativePortLike) => string | undefined;
  extensionId: string;
  extensionVersion: string;
  /** Per request type, how long to wait for the answer. */
  timeoutsMs?: Partial<Record<RequestType, number>>;
  now?: () => number;
  /** Diagnostics; receives request types and ids only, never message contents. */
  log?: (message: string) => void;
}

/**
 * `begin` includes discovery and maybe registration at remote servers; `complete` a token exchange
 * and a keychain write (which may wait for the user to unlock it).
 */
const DEFAULT_TIMEOUTS: Record<RequestType, number> = { hello: 10_000, begin: 45_000, complete: 60_000, status: 10_000, logout: 60_000 };

interface Pending {
  type: RequestType;
  resolve(data: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

interface Connection {
  port: NativePortLike;
  generation: number;
  hello: Promise<HelloResult> | null;
  /** Requests sent on this port and not yet answered, by id. */
  pending: Map<string, Pending>;
  /** Set once the port closed; requests on it fail with this. */
  closed: ExtensionError | null;
}

export class NativeHostClient {
  private readonly options: NativeHostClientOptions;
  private readonly timeouts: Record<RequestType, number>;
  /**
   * Receives the host's unsolicited messages (`push`, no `id`: PROTOCOL.md "Host → extension
   * pushes"), unvalidated; without a handler they are ignored.
   */
  onPush?: (message: unknown) => void;
  private connection: Connection | null = null;
  private generation = 0;
  private counter = 0;

  constructor(options: NativeHostClientOptions) {
    this.options = options;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeoutsMs };
  }

  /** Whether a port is open now (it may still fail on first use). */
  get connected(): boolean {
    return this.connection !== null;
  }

  /** Sends `hello` on the current port unless it already did; checks the protocol version. */
  async hello(): Promise<HelloResult> {
    return this.helloOn(this.connect());
  }

  async begin(serverUrl: string): Promise<BeginResult> {
    const connection = this.connect();
    await this.helloOn(connection);
    const data = await this.send(connection, 'begin', { serverUrl });
    return parseBeginResult(data, (this.options.now ?? Date.now)());
  }

  async complete(callbackUrl: string): Promise<CompleteResult> {
    const connection = this.connect();
    await this.helloOn(connection);
    return parseCompleteResult(await this.send(connection, 'complete', { callbackUrl }));
  }

  /** The logins the host knows of (ours and the clients'), for the popup; never a secret. */
  async status(): Promise<StatusResult> {
    const connection = this.connect();
    await this.helloOn(connection);
    return parseStatusResult(await this.send(connection, 'status', {}));
  }

  /** Forgets the bridge's login for a server and revokes it at the provider (discovery and up to two requests). */
  async logout(serverUrl: string): Promise<LogoutResult> {
    const connection = this.connect();
    await this.helloOn(connection);
    return parseLogoutResult(await this.send(connection, 'logout', { serverUrl }));
  }

  /** Closes the port; pending requests fail with a "closed" error. */
  disconnect(): void {
    if (this.connection) this.drop(this.connection);
  }

  private connect(): Connection {
    if (this.connection) return this.connection;
    let port: NativePortLike;
    try {
      port = this.options.connect();
    } catch (error) {
      // Firefox throws synchronously for some failures; Chromium reports them via onDisconnect.
      throw explainDisconnect(error instanceof Error ? error.message : String(error), this.options.extensionId);
    }
    const connection: Connection = { port, generation: ++this.generation, hello: null, pending: new Map(), closed: null };
    port.onMessage.addListener((message) => this.onMessage(connection, message));
    port.onDisconnect.addListener((p) => this.onDisconnect(connection, this.options.disconnectReason(p)));
    this.connection = connection;
    return connection;
  }

  // Requests after hello go on the same connection object: if that port closed in between, they
  // fail with its disconnect reason instead of reaching a fresh host process that never saw hello.
  private helloOn(connection: Connection): Promise<HelloResult> {
    if (!connection.hello) {
      const hello = this.send(connection, 'hello', { extensionVersion: this.options.extensionVersion }).then((data) => {
        const result = parseHelloResult(data);
        if (result.protocolVersion !== PROTOCOL_VERSION) {
          throw new ExtensionError(
            'ProtocolMismatch',
            `The native host ${result.hostVersion} speaks protocol version ${result.protocolVersion}, this extension speaks ` +
              `${PROTOCOL_VERSION}. Install matching releases of the extension and mcp-login-bridge.`,
          );
        }
        return result;
      });
      connection.hello = hello;
      hello.catch((error: unknown) => {
        // A failed hello must not stick to the port: the next attempt asks again. After a version
        // mismatch a new host process is needed, so the port is dropped too.
        if (connection.hello === hello) connection.hello = null;
        if (error instanceof ExtensionError && error.errorName === 'ProtocolMismatch') this.drop(connection);
      });
    }
    return connection.hello;
  }

  private send(connection: Connection, type: RequestType, fields: Record<string, unknown>): Promise<unknown> {
    if (connection.closed) return Promise.reject(connection.closed);
    const id = `${connection.generation}-${++this.counter}`.slice(0, LIMITS.maxIdLength);
    return new Promise<unknown>((resolve, reject) => {
      const timeoutMs = this.timeouts[type];
      const timer = setTimeout(() => {
        if (!connection.pending.delete(id)) return;
        this.options.log?.(`native host: no answer to ${type} ${id} within ${timeoutMs} ms`);
        reject(
          new ExtensionError(
            'HostTimeout',
            `The native host did not answer "${type}" within ${Math.round(timeoutMs / 1000)} s. ` +
              'Try again; if it keeps happening, run `mcp-login-bridge doctor` in a terminal.',
          ),
        );
      }, timeoutMs);
      connection.pending.set(id, { type, resolve, reject, timer });
      try {
        connection.port.postMessage({ id, type, ...fields });
      } catch (error) {
        // Posting on a port that just closed throws; the disconnect reason explains it better.
        settle(connection, id)?.reject(
          connection.closed ?? explainDisconnect(error instanceof Error ? error.message : undefined, this.options.extensionId),
        );
      }
    });
  }

  private onMessage(connection: Connection, message: unknown): void {
    if (isHostPush(message)) {
      if (this.onPush) this.onPush(message);
      else this.options.log?.('native host: ignored a push (no handler)');
      return;
    }
    let response;
    try {
      response = parseHostResponse(message);
    } catch (error) {
      // Malformed but with an id: fail that request with the validation error.
      const id = typeof (message as { id?: unknown })?.id === 'string' ? (message as { id: string }).id : '';
      const entry = settle(connection, id);
      if (entry) entry.reject(error as Error);
      else this.options.log?.('native host: ignored a malformed message');
      return;
    }
    if (!response) {
      this.options.log?.('native host: ignored a message without an id');
      return;
    }
    if (!response.ok && response.id === '') {
      // An error about the connection itself (caller not allowed, a frame the host could not
      // read): it answers every request in flight, and says more than the disconnect will.
      const error = new HostError(response.error.code, response.error.name, response.error.message);
      for (const id of [...connection.pending.keys()]) settle(connection, id)?.reject(error);
      return;
    }
    const entry = settle(connection, response.id);
    if (!entry) {
      // A late answer to a request that timed out, or not ours: nothing waits for it.
      this.options.log?.(`native host: ignored an answer to unknown request ${response.id}`);
      return;
    }
    if (response.ok) entry.resolve(response.data);
    else entry.reject(new HostError(response.error.code, response.error.name, response.error.message));
  }

  private onDisconnect(connection: Connection, reason: string | undefined): void {
    const error = explainDisconnect(reason, this.options.extensionId);
    this.options.log?.(`native host: disconnected (${error.errorName})`);
    this.close(connection, error);
  }

  private drop(connection: Connection): void {
    this.close(connection, explainDisconnect('closed by the extension', this.options.extensionId));
    try {
      connection.port.disconnect();
    } catch {
      // Already closed.
    }
  }

  private close(connection: Connection, error: ExtensionError): void {
    if (connection.closed) return;
    connection.closed = error;
    if (this.connection === connection) this.connection = null;
    for (const id of [...connection.pending.keys()]) settle(connection, id)?.reject(error);
  }
}

function settle(connection: Connection, id: string): Pending | undefined {
  const entry = connection.pending.get(id);
  if (!entry) return undefined;
  connection.pending.delete(id);
  clearTimeout(entry.timer);
  return entry;
}

/**
 * The CLI's side of the bridge: finds a running browser-launched host, connects with the secret
 * from its runtime file, and sends it requests (PROTOCOL.md "Bridge"). Answers are checked before
 * use; the connection's lifetime is the CLI's: closing it abandons a login in progress.
 */
import { terminalSafe } from '../terminal-text';
import WebSocket from 'ws';
import { BRIDGE_LIMITS, BRIDGE_NONCE_HEADER, BRIDGE_PROOF_HEADER, BRIDGE_SECRET_HEADER, type BridgeHelloResult, type BridgeOpeningEvent } from '../../shared/bridge-protocol';
import { isValidProof, newNonce } from './bridge-proof';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { ClientName, CompleteResult } from '../../shared/protocol';
import { listBridges, runtimeDir, type FoundBridge } from './runtime-files';

export class BridgeUnavailable extends Error {}

/** The host to use: the one `browser` names, else the most recently active. */
export async function chooseBridge(browser: string | undefined, dir: string = runtimeDir()): Promise<{ chosen?: FoundBridge; running: FoundBridge[] }> {
  const running = await listBridges(dir);
  const chosen = browser === undefined ? running[0] : running.find((b) => b.browser === browser);
  return { ...(chosen ? { chosen } : {}), running };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Handler = (message: Record<string, unknown>) => void;

export class BridgeClient {
  readonly info: FoundBridge;
  readonly #ws: WebSocket;
  readonly #handlers = new Map<string, Handler>();
  #counter = 0;
  #closedError: Error | undefined;

  private constructor(info: FoundBridge, ws: WebSocket) {
    this.info = info;
    this.#ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!isObject(message) || typeof message.id !== 'string') return;
      this.#handlers.get(message.id)?.(message);
    });
    ws.on('close', () => {
      this.#closedError ??= new BridgeUnavailable(`the host in ${info.browser} (pid ${info.pid}) closed the connection`);
      for (const handler of this.#handlers.values()) handler({ closed: true });
      this.#handlers.clear();
    });
  }

  static connect(info: FoundBridge, timeoutMs = 3000): Promise<BridgeClient> {
    return new Promise((resolve, reject) => {
      const nonce = newNonce();
      const ws = new WebSocket(`ws://127.0.0.1:${info.port}/`, {
        headers: { [BRIDGE_SECRET_HEADER]: info.secret, [BRIDGE_NONCE_HEADER]: nonce },
        maxPayload: BRIDGE_LIMITS.maxMessageBytes,
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
      });
      const fail = (why: string) => {
        ws.removeAllListeners('open');
        ws.terminate();
        reject(new BridgeUnavailable(`the host in ${info.browser} (pid ${info.pid}) did not accept a connection: ${why}`));
      };
      // The handshake's answer comes before 'open': whoever took the port after a host died
      // cannot answer the nonce, and is not talked to.
      let proven = false;
      ws.once('upgrade', (res) => {
        const header = res.headers[BRIDGE_PROOF_HEADER];
        proven = isValidProof(info.secret, nonce, typeof header === 'string' ? header : undefined);
      });
      ws.once('open', () => {
        if (!proven) return fail('it could not prove it is the host that wrote the runtime file (another program may have its port; restart the browser)');
        ws.removeAllListeners('unexpected-response');
        ws.on('error', () => undefined);
        resolve(new BridgeClient(info, ws));
      });
      ws.once('unexpected-response', (_req, res) => fail(`HTTP ${res.statusCode}`));
      ws.once('error', (err) => fail(err.message));
    });
  }

  close(): void {
    this.#closedError ??= new BridgeUnavailable('closed');
    this.#ws.close();
  }

  /** Sends a request; `onEvent` gets its events; resolves with the final `data`. */
  #request(fields: Record<string, unknown>, onEvent?: (event: Record<string, unknown>) => void): Promise<unknown> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const id = String(++this.#counter);
    return new Promise((resolve, reject) => {
      this.#handlers.set(id, (m) => {
        if (m.closed) return reject(this.#closedError);
        if (typeof m.event === 'string') return onEvent?.(m);
        this.#handlers.delete(id);
        if (m.ok === true) return resolve(m.data);
        const e = isObject(m.error) ? m.error : {};
        const code = typeof e.code === 'number' ? e.code : ErrorCode.Internal;
        // The CLI prints it: no control characters from the host reach the terminal.
        const message = typeof e.message === 'string' ? terminalSafe(e.message.slice(0, 2000), true) : 'the host sent an unreadable error';
        reject(new ProtocolError(code, message));
      });
      this.#ws.send(JSON.stringify({ id, ...fields }));
    });
  }

  /** The host's hello, with `capabilities` always present (empty for a host older than them). */
  async hello(timeoutMs = 3000): Promise<Omit<BridgeHelloResult, 'capabilities'> & { capabilities: string[] }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BridgeUnavailable(`the host in ${this.info.browser} (pid ${this.info.pid}) did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      const data = await Promise.race([this.#request({ type: 'hello' }), timeout]);
      if (!isObject(data) || typeof data.hostVersion !== 'string' || typeof data.protocolVersion !== 'number') {
        throw new BridgeUnavailable('the host answered hello with something unexpected');
      }
      // Names this CLI does not know are kept (harmless: it only looks for the ones it knows).
      const capabilities = Array.isArray(data.capabilities) ? data.capabilities.filter((c): c is string => typeof c === 'string') : [];
      return { ...(data as unknown as BridgeHelloResult), capabilities };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Asks the host to run a login through its extension; resolves with the summary (never a token).
   * Send `clients` only to a host whose hello lists `login.clients`, and `scopes` only to one that
   * lists `login.scopes`: an older one would ignore them.
   */
  async login(
    serverUrl: string,
    onOpening: (event: BridgeOpeningEvent) => void,
    options: { clients?: readonly ClientName[]; scopes?: readonly string[] } = {},
  ): Promise<CompleteResult> {
    const fields = { ...(options.clients ? { clients: options.clients } : {}), ...(options.scopes ? { scopes: options.scopes } : {}) };
    const data = await this.#request({ type: 'login', serverUrl, ...fields }, (event) => {
      if (event.event === 'opening' && isObject(event.flow) && typeof event.flow.authorizeUrl === 'string') {
        onOpening(event as unknown as BridgeOpeningEvent);
      }
    });
    if (!isObject(data) || typeof data.serverUrl !== 'string' || typeof data.refreshCapable !== 'boolean' || !Array.isArray(data.stored)) {
      throw new ProtocolError(ErrorCode.Internal, 'the host answered the login with something unexpected');
    }
    return data as unknown as CompleteResult;
  }
}

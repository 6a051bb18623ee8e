/**
 * `connect`'s running part, after the command line is parsed (cli/connect.ts): the token, the two
 * transports and the pipe between them, until the client goes.
 *
 * Start-up is what a client waits for before its `initialize` is answered, so the order matters:
 * the keychain read (a D-Bus round trip, off the main thread) starts first, the SDK transports are
 * loaded while it is out, and the login code is loaded only when a login is needed.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { requestTimeoutMs } from '../http/request-timeout';
import { BridgeStore } from '../stores/bridge-store';
import { terminalSafe } from '../terminal-text';
import { authorizedFetch } from './authorized-fetch';
import { httpFetch } from './http-fetch';
import { ConnectError } from './rpc-errors';
import { StepUp } from './step-up';
import { TokenSource } from './token-source';

/** Exit codes (the CLI's: cli/output.ts ExitCode). */
export interface ServeExitCodes {
  ok: number;
  failed: number;
  loginNeeded: number;
}

export interface ServeOptions {
  noLogin: boolean;
  loginTimeoutMs: number;
  exitCodes: ServeExitCodes;
}

function log(line: string): void {
  process.stderr.write(`mcp-login-bridge connect: ${terminalSafe(line, true)}\n`);
}

/**
 * Serves until the client closes stdin (or the server cannot be reached at all); exits the process.
 * Throws (before serving) only with --no-login, for a store that cannot be read.
 */
export async function serve(serverUrl: string, options: ServeOptions): Promise<never> {
  const codes = options.exitCodes;
  const store = new BridgeStore();
  // Loaded only when a login is needed: it brings the OAuth flow, the bridge client and every
  // client store, which a session with a stored login never uses.
  const login = async (scopes?: string[]) => {
    const { runLogin } = await import('./login-runner');
    await runLogin(serverUrl, { ...(scopes ? { scopes } : {}), timeoutMs: options.loginTimeoutMs, log });
  };
  const tokens = new TokenSource(serverUrl, store, { ...(options.noLogin ? {} : { login: () => login() }), warn: (w) => log(`warning: ${w}`) });
  // The token (or its refresh, or the login) is read while the transports load and the client
  // starts, not on its first request; with --no-login, its absence ends the process.
  const first = tokens.token().then(
    () => undefined,
    (error: unknown) => error,
  );
  const transports = Promise.all([import('@modelcontextprotocol/sdk/server/stdio.js'), import('./jsonrpc-relay')]);
  if (options.noLogin) {
    const error = await first;
    if ((error instanceof ConnectError && error.kind === 'not-logged-in') || (error instanceof ProtocolError && error.code === ErrorCode.NotLoggedIn)) {
      log(`not logged in to ${serverUrl}; run: mcp-login-bridge login ${serverUrl}`);
      return exit(codes.loginNeeded);
    }
    // A store that cannot be read at all (no keychain, a broken config) fails every request: say so
    // now, as `token` would, rather than serve only errors. (5xx: storage and the local machine.)
    const cause = error instanceof ConnectError ? error.cause : error;
    if (cause instanceof ProtocolError && cause.code >= ErrorCode.KeychainUnavailable) throw cause;
  }
  const [{ StdioServerTransport }, { JsonRpcRelay }] = await transports;
  const stepUp = options.noLogin ? undefined : new StepUp((scopes) => login(scopes));

  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const base = httpFetch({ timeoutMs: requestTimeoutMs() });
  // The relay watches the server's response streams; it exists before the first request is made.
  const fetch = authorizedFetch({ tokens, base, ...(stepUp ? { stepUp } : {}), observe: (init, response) => relay.observe(init, response) });
  const url = new URL(serverUrl);
  const relay = new JsonRpcRelay(new StdioServerTransport(), {
    url,
    fetch,
    log,
    onFatal: (error) => {
      log(`cannot reach the MCP server ${url.href}: ${error.message}. Exiting: the client shows the server as failed, and starts it again when you retry.`);
      finish(codes.failed);
    },
  });

  let closing = false;
  const stop = (code: number) => {
    if (closing) return;
    closing = true;
    void relay.close().finally(() => finish(code));
  };
  // The SDK's stdio transport does not watch for the end of stdin: the client quitting is that end.
  process.stdin.once('end', () => stop(codes.ok));
  process.stdin.once('close', () => stop(codes.ok));
  process.stdout.once('error', () => stop(codes.ok));
  process.once('SIGINT', () => stop(codes.ok));
  process.once('SIGTERM', () => stop(codes.ok));

  await relay.start();
  const code = await finished;
  if (!closing) {
    closing = true;
    await relay.close();
  }
  return exit(code);
}

/**
 * Idle keep-alive sockets and the keychain's D-Bus connection would hold the process open; the
 * client waits for it to go. Whatever was written to stdout is flushed first.
 */
async function exit(code: number): Promise<never> {
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

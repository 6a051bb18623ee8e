import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { authorizedFetch } from '../connect/authorized-fetch';
import { setupText } from '../connect/client-setup';
import { ConnectProxy } from '../connect/proxy';
import { StepUp } from '../connect/step-up';
import { TokenSource } from '../connect/token-source';
import { entryScript } from '../entry-script';
import { BridgeStore } from '../stores/bridge-store';
import type { Command } from './command';
import { exitCodesHelp } from './exit-codes';
import { ExitCode, reportError, UsageError } from './output';
import { parseCommand } from './parse';
import { resolveServerArg } from './server-arg';
import { terminalSafe } from '../terminal-text';

const EXAMPLE = 'https://example.com/mcp';

function helpText(): string {
  let setup: string;
  try {
    setup = setupText(EXAMPLE, process.execPath, [entryScript()]);
  } catch {
    setup = setupText(EXAMPLE, 'mcp-login-bridge', []);
  }
  return `Usage: mcp-login-bridge connect <server-url|name> [--no-login] [--login-timeout <seconds>]
       (alias: proxy)

Runs a local MCP server on stdin/stdout for clients that start MCP servers as programs (Claude
Desktop, Cursor, VS Code, Windsurf, Zed, …) and forwards every message to the remote server over
Streamable HTTP (or the older HTTP+SSE transport when that is all the server offers), with the
access token "mcp-login-bridge token" would print: from the OS keychain, refreshed before it
expires, one refresh at a time across processes. mcp-remote's job, with this bridge's login.

- No login stored: a login starts, through the browser's extension when it runs, else in your
  default browser (the address is also printed on stderr). --no-login exits with code 4 instead.
- The server refuses the token (401): one refresh, one retry.
- The server asks for more scopes (403 insufficient_scope): a login asking for the scopes held plus
  the ones asked for, at most twice for the same scopes, then the request is retried.
- The refresh token is revoked: each request gets a JSON-RPC error saying to run
  "mcp-login-bridge login <url>"; once you have, requests work again without a restart.
- The server drops: requests in flight get a JSON-RPC error (code -32000, data.kind), and connect
  reconnects with backoff (a new session, opened with the client's own initialize).
- Unreachable at the first message: exit code 1 with the reason on stderr.
- stdin closes (the client quits): the session is ended at the server (HTTP DELETE), exit 0.
stdout carries only MCP messages; what happens goes to stderr, never a token.

A name instead of a URL is looked up among the MCP servers in Codex's config.toml.

Set-up (the command and its arguments below are this installation's, by absolute path):

${setup}

Options:
  --no-login                 never open a login: without one, print the login command and exit 4
  --login-timeout <seconds>  how long a login may take in the browser (default 300, at most 600)
  -h, --help                 show this help

${exitCodesHelp({
    Ok: 'the client closed stdin',
    Failed: 'the server could not be reached (or another failure)',
    Usage: 'usage',
    LoginNeeded: 'not logged in (with --no-login)',
  })}`;
}

export const connectCommand: Command = {
  name: 'connect',
  summary: 'Serve a remote MCP server over stdio with this bridge\'s login (for Claude Desktop, Cursor, VS Code, Windsurf, …)',
  get help() {
    return helpText();
  },
  async run(args) {
    try {
      const { values, positionals } = parseCommand(args, { 'no-login': { type: 'boolean' }, 'login-timeout': { type: 'string' } });
      if (values.help) return (process.stdout.write(`${helpText()}\n`), ExitCode.Ok);
      const { serverUrl } = await resolveServerArg(positionals, 'connect');
      const timeoutSeconds = values['login-timeout'] === undefined ? 300 : Number(values['login-timeout']);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 600) {
        throw new UsageError('--login-timeout must be a number of seconds from 1 to 600 (a login expires after that)');
      }
      return await serve(serverUrl, { noLogin: Boolean(values['no-login']), loginTimeoutMs: timeoutSeconds * 1000 });
    } catch (err) {
      return reportError(err, false);
    }
  },
};

function log(line: string): void {
  process.stderr.write(`mcp-login-bridge connect: ${terminalSafe(line, true)}\n`);
}

async function serve(serverUrl: string, options: { noLogin: boolean; loginTimeoutMs: number }): Promise<number> {
  const store = new BridgeStore();
  if (options.noLogin && !(await store.read(serverUrl))) {
    log(`not logged in to ${serverUrl}; run: mcp-login-bridge login ${serverUrl}`);
    return ExitCode.LoginNeeded;
  }
  // Loaded only when a login is needed: it brings the OAuth flow, the bridge client and every
  // client store, which a session with a stored login never uses.
  const login = async (scopes?: string[]) => {
    const { runLogin } = await import('../connect/login-runner');
    await runLogin(serverUrl, { ...(scopes ? { scopes } : {}), timeoutMs: options.loginTimeoutMs, log });
  };
  const tokens = new TokenSource(serverUrl, store, { ...(options.noLogin ? {} : { login: () => login() }), warn: (w) => log(`warning: ${w}`) });
  const stepUp = options.noLogin ? undefined : new StepUp((scopes) => login(scopes));

  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  // The proxy watches the server's response streams; it exists before the first request is made.
  const fetch = authorizedFetch({ tokens, ...(stepUp ? { stepUp } : {}), observe: (init, response) => proxy.observe(init, response) });
  const proxy = new ConnectProxy(new StdioServerTransport(), {
    url: new URL(serverUrl),
    fetch,
    log,
    onFatal: (error) => {
      log(`${error.message}; exiting`);
      finish(ExitCode.Failed);
    },
  });

  let closing = false;
  const stop = (code: number) => {
    if (closing) return;
    closing = true;
    void proxy.close().finally(() => finish(code));
  };
  // The SDK's stdio transport does not watch for the end of stdin: the client quitting is that end.
  process.stdin.once('end', () => stop(ExitCode.Ok));
  process.stdin.once('close', () => stop(ExitCode.Ok));
  process.stdout.once('error', () => stop(ExitCode.Ok));
  process.once('SIGINT', () => stop(ExitCode.Ok));
  process.once('SIGTERM', () => stop(ExitCode.Ok));

  // Read (or refresh, or log in for) the token while the client starts, not on its first request.
  void tokens.token().catch(() => undefined);
  await proxy.start();
  const code = await finished;
  if (!closing) {
    closing = true;
    await proxy.close();
  }
  // Idle keep-alive sockets and the keychain's D-Bus connection would hold the process open; the
  // client waits for it to go. Whatever was written to stdout is flushed first.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

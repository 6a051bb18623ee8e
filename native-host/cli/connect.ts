import { setupText } from '../connect/client-setup';
import { entryScript } from '../entry-script';
import type { Command } from './command';
import { exitCodesHelp } from './exit-codes';
import { ExitCode, reportError, UsageError } from './output';
import { parseCommand, serverUrlArg } from './parse';
import { assertServerArgLength } from './server-arg-limit';

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
  reconnects with backoff (a new session, opened with the client's own initialize); requests
  meanwhile are told why it is not back (data.network: dns, refused, timeout, unreachable, tls).
- Unreachable at the first message, or no answer to initialize within
  MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS (default 15 s): exit code 1 with the reason on stderr.
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
      // A URL (the usual case) is used as given; only a name needs the clients' configs (and the
      // code that reads all of them), loaded then.
      assertServerArgLength(positionals, 'connect');
      const { serverUrl } = positionals.some((p) => p.includes(':'))
        ? { serverUrl: serverUrlArg(positionals, 'connect') }
        : await (await import('./server-arg')).resolveServerArg(positionals, 'connect');
      const timeoutSeconds = values['login-timeout'] === undefined ? 300 : Number(values['login-timeout']);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 600) {
        throw new UsageError('--login-timeout must be a number of seconds from 1 to 600 (a login expires after that)');
      }
      // The serving part (the SDK transports, the token, the pipe) loads only once the arguments are good.
      const { serve } = await import('../connect/serve');
      return await serve(serverUrl, {
        noLogin: Boolean(values['no-login']),
        loginTimeoutMs: timeoutSeconds * 1000,
        exitCodes: { ok: ExitCode.Ok, failed: ExitCode.Failed, loginNeeded: ExitCode.LoginNeeded },
      });
    } catch (err) {
      return reportError(err, false);
    }
  },
};

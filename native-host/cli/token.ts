import { ErrorCode, ProtocolError } from '../../shared/errors';
import { validAccessToken } from '../credentials/access-token';
import { BridgeStore } from '../stores/bridge-store';
import type { Command } from './command';
import { exitCodesHelp } from './exit-codes';
import { ExitCode, printJson, reportError, UsageError } from './output';
import { directStdout, writeStdout } from './stdout-direct';
import { parseCommand } from './parse';
import { serverUrlFromArgs } from './server-arg-limit';
import { terminalSafe } from '../terminal-text';

/** What `login` accepts as a server name instead of a URL (server-arg.ts). */
const SERVER_NAME = /^[A-Za-z0-9_-]{1,100}$/;

/** Only a trailing slash (or the host's case) apart: the same server to a person, another key to the store. */
function sameServerLoosely(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const url = new URL(u);
      return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}${url.search}`;
    } catch {
      return u;
    }
  };
  return norm(a) === norm(b);
}

/** "Not logged in to …/mcp/" when …/mcp is: say which URL is logged in, rather than "log in". */
async function withLoggedInSuggestion(err: ProtocolError, store: BridgeStore, serverUrl: string): Promise<ProtocolError> {
  const near = (await store.list().catch(() => [])).find((c) => sameServerLoosely(c.serverUrl, serverUrl));
  if (!near) return err;
  return new ProtocolError(ErrorCode.NotLoggedIn, `not logged in to ${serverUrl}, but to ${near.serverUrl}; use exactly that URL: mcp-login-bridge token ${near.serverUrl}`);
}

export const tokenCommand: Command = {
  name: 'token',
  summary: 'Print a valid access token for a server, refreshing it first if needed',
  help: `Usage: mcp-login-bridge token <server-url|name> [--headers | --json]

Prints a valid access token for the MCP server on stdout and nothing else, refreshing it first
when it expires within 60 seconds (the refreshed credential is stored before it is printed).
Fits token helpers such as Codex's bearer_token_env_var wrappers. A name instead of a URL is
looked up among the MCP servers in Codex's config.toml, as login does.

Before refreshing it looks at the copies the local MCP clients keep for the same server URL (under
their own locks): if one of them refreshed by itself since (a later expiry and another refresh
token), that token is used, so a provider that rotates refresh tokens never sees a spent one. When
the provider rotates, the new tokens are also written to the copies that held a spent one.
Problems with a client's copy are warnings on stderr; the token is still printed.

Options:
  --headers  print the HTTP headers as a JSON object, {"Authorization": "Bearer …"}, as Claude
             Code's headersHelper expects
  --json     print {"ok": true, "accessToken", "tokenType", "expiresAt", "refreshed"}
  -h, --help show this help

${exitCodesHelp({
    Ok: 'ok',
    Failed: 'failed (network, keychain)',
    Usage: 'usage',
    LoginNeeded: 'log in again (no credential, or the provider refused the refresh token)',
  })}`,
  async run(args) {
    const { values, positionals } = parseCommand(args, { json: { type: 'boolean' }, headers: { type: 'boolean' } });
    if (values.help) return (process.stdout.write(`${this.help}\n`), ExitCode.Ok);
    const json = Boolean(values.json);
    try {
      if (values.headers && json) throw new UsageError('--headers and --json are two output formats; pick one');
      // A server name (as `login gmail` takes) is looked up in Codex's config; the lookup is loaded
      // only then, so a helper that passes a URL loads nothing more than before.
      const serverUrl = positionals.length === 1 && SERVER_NAME.test(positionals[0]!)
        ? (await (await import('./server-arg')).resolveServerArg(positionals, 'token')).serverUrl
        : serverUrlFromArgs(positionals, 'token');
      const store = new BridgeStore();
      const { credential, refreshed, warnings } = await validAccessToken(store, serverUrl).catch(async (err: unknown) => {
        throw err instanceof ProtocolError && err.code === ErrorCode.NotLoggedIn ? await withLoggedInSuggestion(err, store, serverUrl) : err;
      });
      // stdout is the token (or the headers) and nothing else; a client that could not be kept in
      // step is worth a line on stderr, not a failure: this token is good either way.
      for (const warning of warnings) process.stderr.write(`mcp-login-bridge: warning: ${terminalSafe(warning, true)}\n`);
      if (values.headers) {
        // Bearer whatever case the provider spelled token_type in (RFC 6750 §2.1).
        writeStdout(`${JSON.stringify({ Authorization: `Bearer ${credential.accessToken}` })}\n`);
      } else if (json) {
        printJson({ ok: true, accessToken: credential.accessToken, tokenType: credential.tokenType, expiresAt: credential.expiresAt, refreshed }, directStdout);
      } else {
        writeStdout(`${credential.accessToken}\n`);
      }
      return ExitCode.Ok;
    } catch (err) {
      return reportError(err, json);
    }
  },
};

import { summarize } from '../requests/status';
import { BridgeStore } from '../stores/bridge-store';
import type { Command } from './command';
import { ExitCode, formatExpiry, printJson, reportError, UsageError } from './output';
import { parseCommand } from './parse';

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show the servers you are logged in to and whether each can refresh',
  help: `Usage: mcp-login-bridge status [--json]

Lists every login in the bridge store (the OS keychain, service "mcp-login-bridge"): the server,
its issuer, when the access token expires and whether a refresh token is stored. Never prints a
token.

Options:
  --json     print {"ok": true, "credentials": [...]} for scripts
  -h, --help show this help`,
  async run(args) {
    const { values, positionals } = parseCommand(args, { json: { type: 'boolean' } });
    if (values.help) return (process.stdout.write(`${this.help}\n`), ExitCode.Ok);
    const json = Boolean(values.json);
    try {
      if (positionals.length) throw new UsageError('status takes no arguments');
      const scan = await new BridgeStore().scan();
      const credentials = scan.credentials.map(summarize);
      // Damaged entries are reported, never hidden: the user has to clear or replace them.
      const damaged = scan.invalid.map((i) => ({ serverUrl: i.serverUrl, error: i.error.message }));
      if (json) {
        printJson({ ok: true, credentials, damaged });
        return ExitCode.Ok;
      }
      for (const d of damaged) process.stderr.write(`Unreadable entry for ${d.serverUrl}: ${d.error}\n`);
      if (!credentials.length) {
        process.stdout.write('No logins stored yet. Run: mcp-login-bridge login <server-url>\n');
        return ExitCode.Ok;
      }
      for (const c of credentials) {
        process.stdout.write(
          `${c.serverUrl}\n  issuer: ${c.issuer}\n  access token: ${formatExpiry(c.expiresAt)}\n  refresh: ${
            c.refreshCapable ? 'yes, stays logged in' : 'NO: ends when the access token expires'
          }\n`,
        );
      }
      return ExitCode.Ok;
    } catch (err) {
      return reportError(err, json);
    }
  },
};

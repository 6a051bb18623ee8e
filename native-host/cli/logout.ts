import { ErrorCode, ProtocolError } from '../../shared/errors';
import { withRefreshLock } from '../credentials/refresh-lock';
import { revokeCredential, type RevocationOutcome } from '../oauth/revoke';
import { BridgeStore } from '../stores/bridge-store';
import type { StoredCredential } from '../stores/credential';
import type { Command } from './command';
import { ExitCode, printJson, reportError, UsageError } from './output';
import { parseCommand } from './parse';
import { resolveServerArg } from './server-arg';

export const logoutCommand: Command = {
  name: 'logout',
  summary: "Forget a server's login and revoke it at the provider",
  help: `Usage: mcp-login-bridge logout <server-url|name> [--no-revoke] [--client bridge] [--json]

Revokes the stored refresh and access tokens at the provider when it offers token revocation
(RFC 7009, a "revocation_endpoint" in its metadata), then removes the login from the OS keychain.
The local entry is removed even when the provider cannot be reached; the message says so.

Options:
  --no-revoke         only remove the local entry
  --client <target>   which stored login to remove (repeatable); today only "bridge".
                      codex and claude-code are not available yet.
  --json              print {"ok": true, "serverUrl", "removed": [...], "revocation": {...}}
  -h, --help          show this help

Exit codes: 0 logged out, 1 failed, 2 usage, 4 there was no login for that server.`,
  async run(args) {
    const { values, positionals } = parseCommand(args, {
      json: { type: 'boolean' },
      'no-revoke': { type: 'boolean' },
      client: { type: 'string', multiple: true },
    });
    if (values.help) return (process.stdout.write(`${this.help}\n`), ExitCode.Ok);
    const json = Boolean(values.json);
    try {
      const { serverUrl } = await resolveServerArg(positionals, 'logout');
      for (const target of values.client ?? []) {
        if (target !== 'bridge') {
          throw new UsageError(
            ['codex', 'claude-code'].includes(target) ? `--client ${target} is not available yet: only "bridge" logins can be removed` : `unknown --client ${JSON.stringify(target)}: use bridge`,
          );
        }
      }
      const store = new BridgeStore();
      // Under the refresh lock: a concurrent `token` must not write the entry back after we remove it.
      const { revocation } = await withRefreshLock(serverUrl, async () => {
        let credential: StoredCredential | undefined;
        let damaged = false;
        try {
          credential = await store.read(serverUrl);
        } catch (err) {
          // A damaged entry cannot be revoked, but it can still be removed.
          if (!(err instanceof ProtocolError && err.code === ErrorCode.StoreFailed)) throw err;
          damaged = true;
        }
        if (!credential && !damaged) {
          // Nothing readable, but an interrupted split write (Windows) can leave parts without
          // their header, tokens in them: removing them is what the user asked for.
          if (await store.delete(serverUrl)) return { revocation: { status: 'skipped' as const, reason: 'only leftover parts of an entry were found' } };
          throw new ProtocolError(ErrorCode.NotLoggedIn, `not logged in to ${serverUrl}; nothing to remove`);
        }
        const revocation: RevocationOutcome | { status: 'skipped'; reason: string } = !credential
          ? { status: 'skipped', reason: 'the stored entry is unreadable' }
          : values['no-revoke']
            ? { status: 'skipped', reason: '--no-revoke' }
            : await revokeCredential(credential);
        await store.delete(serverUrl);
        return { revocation };
      });
      if (json) {
        printJson({ ok: true, serverUrl, removed: [{ target: 'bridge', location: store.describe() }], revocation });
        return ExitCode.Ok;
      }
      process.stdout.write(`Logged out of ${serverUrl}: removed from ${store.describe()}\n`);
      if (revocation.status === 'revoked') {
        process.stdout.write(`  revoked at the provider: ${revocation.tokens.join(', ').replace(/_/g, ' ') || 'nothing'}\n`);
        if (revocation.notRevocable.length) {
          process.stdout.write(`  the provider cannot revoke the ${revocation.notRevocable.join(', ').replace(/_/g, ' ')}; it stays valid until it expires\n`);
        }
      }
      else if (revocation.status === 'unsupported') process.stdout.write('  the provider offers no token revocation (RFC 7009); the tokens stay valid until they expire\n');
      else if (revocation.status === 'skipped') process.stdout.write(`  not revoked at the provider (${revocation.reason})\n`);
      else process.stderr.write(`Warning: could not revoke at the provider (${revocation.reason}); the tokens stay valid until they expire.\n`);
      return ExitCode.Ok;
    } catch (err) {
      return reportError(err, json);
    }
  },
};

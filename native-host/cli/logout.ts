import { ErrorCode, ProtocolError } from '../../shared/errors';
import { withRefreshLock } from '../credentials/refresh-lock';
import { revokeCredential, type RevocationOutcome } from '../oauth/revoke';
import { ClientLogouts } from '../clients/client-logouts';
import type { ClientName } from '../clients/client-adapter';
import { clientLabels, describeClients, isClientName } from '../clients/registry';
import { CLIENT_NAMES } from '../../shared/protocol';
import { BridgeStore } from '../stores/bridge-store';
import type { StoredCredential } from '../stores/credential';
import type { Command } from './command';
import { ExitCode, printJson, reportError, UsageError } from './output';
import { parseCommand } from './parse';
import { resolveServerArg } from './server-arg';

type LogoutTarget = 'bridge' | ClientName;

export const logoutCommand: Command = {
  name: 'logout',
  summary: "Forget a server's login (here, and with --client in the MCP clients) and revoke it at the provider",
  help: `Usage: mcp-login-bridge logout <server-url|name> [--client <target>]… [--no-revoke] [--json]

Removes the server's login from the OS keychain or the credentials file ("bridge", the entry
"token" reads) and, with --client, from the local MCP clients too (every server they have
configured with that URL):
${describeClients()}
When the bridge's entry is removed, its tokens are first revoked at the provider if it offers
token revocation (RFC 7009, a "revocation_endpoint" in its metadata), unless a client's login
left in place is the same login (a login through mcp-login-bridge writes one to each):
revoking ends the whole login at the provider, so they would be logged out too. The local
entries are removed even when the provider cannot be reached; the message says so.

Options:
  --client <target>   which stored logins to remove (repeatable): bridge, ${CLIENT_NAMES.join(', ')}.
                      Default: bridge only.
  --no-revoke         only remove the local entries
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
      const targets = new Set<LogoutTarget>();
      for (const target of values.client ?? ['bridge']) {
        if (target !== 'bridge' && !isClientName(target)) throw new UsageError(`unknown --client ${JSON.stringify(target)}: use bridge, ${CLIENT_NAMES.slice(0, -1).join(', ')} or ${CLIENT_NAMES.at(-1)}`);
        targets.add(target);
      }
      const clientTargets = [...targets].filter((t): t is ClientName => t !== 'bridge');
      const store = new BridgeStore();
      // Under the refresh lock: a concurrent `token` must not write the entry back after we remove it.
      const { revocation, removed, problems } = await withRefreshLock(serverUrl, async () => {
        let credential: StoredCredential | undefined;
        let damaged = false;
        if (targets.has('bridge')) {
          try {
            credential = await store.read(serverUrl);
          } catch (err) {
            // A damaged entry cannot be revoked, but it can still be removed.
            if (!(err instanceof ProtocolError && err.code === ErrorCode.StoreFailed)) throw err;
            damaged = true;
          }
        }
        const clients = await new ClientLogouts().remove(serverUrl, clientTargets, credential);
        const removed: Array<{ target: LogoutTarget; location: string; server?: string }> = [...clients.removed];
        let revocation: RevocationOutcome | { status: 'skipped'; reason: string } | undefined;
        if (targets.has('bridge')) {
          if (credential || damaged) {
            revocation = !credential
              ? { status: 'skipped', reason: 'the stored entry is unreadable' }
              : values['no-revoke']
                ? { status: 'skipped', reason: '--no-revoke' }
                : clients.sharing.length
                  ? { status: 'skipped', reason: sharedLoginReason(clients.sharing) }
                  : await revokeCredential(credential);
            await store.delete(serverUrl);
            removed.unshift({ target: 'bridge', location: store.describe() });
          } else if (await store.delete(serverUrl)) {
            // Nothing readable, but an interrupted split write (Windows) can leave parts without
            // their header, tokens in them: removing them is what the user asked for.
            revocation = { status: 'skipped', reason: 'only leftover parts of an entry were found' };
            removed.unshift({ target: 'bridge', location: store.describe() });
          }
        }
        if (!removed.length) {
          const labels = clientLabels();
          const where = [...targets].map((t) => (t === 'bridge' ? "the bridge's store" : labels[t])).join(', ');
          throw new ProtocolError(ErrorCode.NotLoggedIn, `not logged in to ${serverUrl} in ${where}; nothing to remove${clients.problems.length ? ` (${clients.problems.join('; ')})` : ''}`);
        }
        return { revocation, removed, problems: clients.problems };
      });
      for (const problem of problems) process.stderr.write(`Warning: ${problem}\n`);
      if (json) {
        printJson({ ok: true, serverUrl, removed, ...(revocation ? { revocation } : {}) });
        return ExitCode.Ok;
      }
      process.stdout.write(`Logged out of ${serverUrl}: removed from ${removed.map((r) => (r.server ? `${r.location} (${r.server})` : r.location)).join(', ')}\n`);
      if (revocation?.status === 'revoked') {
        process.stdout.write(`  revoked at the provider: ${revocation.tokens.join(', ').replace(/_/g, ' ') || 'nothing'}\n`);
        if (revocation.notRevocable.length) {
          process.stdout.write(`  the provider cannot revoke the ${revocation.notRevocable.join(', ').replace(/_/g, ' ')}; it stays valid until it expires\n`);
        }
      }
      else if (revocation?.status === 'unsupported') process.stdout.write('  the provider offers no token revocation (RFC 7009); the tokens stay valid until they expire\n');
      else if (revocation?.status === 'skipped') process.stdout.write(`  not revoked at the provider (${revocation.reason})\n`);
      else if (revocation) process.stderr.write(`Warning: could not revoke at the provider (${revocation.reason}); the tokens stay valid until they expire.\n`);
      return ExitCode.Ok;
    } catch (err) {
      return reportError(err, json);
    }
  },
};

/** Revoking ends the whole login at the provider: the clients' copies of it would stop working too. */
function sharedLoginReason(labels: string[]): string {
  return `the same login is still used by ${labels.join(' and ')}, which revoking would log out too; to remove those as well, add ${CLIENT_NAMES.map((c) => `--client ${c}`).join(' / ')}`;
}

import { defaultSharedLoginReason, logOut, type LogoutTarget } from '../credentials/log-out';
import type { ClientAdapter } from '../clients/client-adapter';
import { ClientLogouts } from '../clients/client-logouts';
import { clientAdapters, describeClients, isClientName } from '../clients/registry';
import { CLIENT_NAMES } from '../../shared/protocol';
import { BridgeStore } from '../stores/bridge-store';
import type { CredentialTarget } from '../stores/credential';
import { defineCommand, type Command, type CommandIO } from './command';
import { ExitCode, printJson, UsageError } from './output';
import { resolveServerArg } from './server-arg';
import { exitCodesHelp } from './exit-codes';

const HELP = `Usage: mcp-login-bridge logout <server-url|name> [--client <target>]… [--no-revoke] [--json]

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
  --json              print {"ok": true, "serverUrl", "removed": [...], "revocation": {...}}; revocation
                      "status" is revoked (with "tokens"), notRevocable (the provider took none of
                      them), unsupported (no revocation endpoint), skipped (with "reason") or failed
  -h, --help          show this help

${exitCodesHelp({ Ok: 'logged out', Failed: 'failed', Usage: 'usage', LoginNeeded: 'there was no login for that server' })}`;

export interface LogoutDeps {
  /** The bridge's own store (default: the one the host config chooses). */
  store: CredentialTarget;
  /** The MCP clients whose copies --client removes (default: every registered one). */
  adapters: readonly ClientAdapter[];
}

export interface LogoutOptions extends LogoutDeps {
  io: CommandIO;
  json: boolean;
  serverUrl: string;
  targets: Set<LogoutTarget>;
  noRevoke: boolean;
}

export function createLogoutCommand(deps: Partial<LogoutDeps> = {}, runF: (options: LogoutOptions) => Promise<number> = runLogout): Command {
  return defineCommand(
    {
      name: 'logout',
      summary: "Forget a server's login (here, and with --client in the MCP clients) and revoke it at the provider",
      help: HELP,
      flags: { json: { type: 'boolean' }, 'no-revoke': { type: 'boolean' }, client: { type: 'string', multiple: true } },
      options: async ({ values, positionals }, io, json): Promise<LogoutOptions> => {
        const { serverUrl } = await resolveServerArg(positionals, 'logout');
        const targets = new Set<LogoutTarget>();
        for (const target of values.client ?? ['bridge']) {
          if (target !== 'bridge' && !isClientName(target)) throw new UsageError(`unknown --client ${JSON.stringify(target)}: use bridge, ${CLIENT_NAMES.slice(0, -1).join(', ')} or ${CLIENT_NAMES.at(-1)}`);
          targets.add(target);
        }
        return { store: new BridgeStore({ env: io.env }), adapters: clientAdapters({ env: io.env }), ...deps, io, json, serverUrl, targets, noRevoke: Boolean(values['no-revoke']) };
      },
    },
    runF,
  );
}

export const logoutCommand = createLogoutCommand();

export async function runLogout({ io, json, store, adapters, serverUrl, targets, noRevoke }: LogoutOptions): Promise<number> {
  const { stdout, stderr } = io;
  const { revocation, removed, problems } = await logOut(store, serverUrl, {
    targets,
    clientLogouts: new ClientLogouts({ adapters }),
    ...(noRevoke ? { noRevoke: '--no-revoke' } : {}),
    sharedLoginReason,
  });
  for (const problem of problems) stderr.write(`Warning: ${problem}\n`);
  if (json) {
    printJson({ ok: true, serverUrl, removed, ...(revocation ? { revocation } : {}) }, stdout);
    return ExitCode.Ok;
  }
  stdout.write(`Logged out of ${serverUrl}: removed from ${removed.map((r) => (r.server ? `${r.location} (${r.server})` : r.location)).join(', ')}\n`);
  if (revocation?.status === 'revoked') {
    stdout.write(`  revoked at the provider: ${revocation.tokens.join(', ').replace(/_/g, ' ')}\n`);
    if (revocation.notRevocable.length) {
      stdout.write(`  the provider cannot revoke the ${revocation.notRevocable.join(', ').replace(/_/g, ' ')}; it stays valid until it expires\n`);
    }
  } else if (revocation?.status === 'notRevocable') {
    stdout.write(`  not revoked: the provider cannot revoke the ${revocation.notRevocable.join(' or the ').replace(/_/g, ' ')}; it stays valid until it expires\n`);
  } else if (revocation?.status === 'unsupported') stdout.write('  the provider offers no token revocation (RFC 7009); the tokens stay valid until they expire\n');
  else if (revocation?.status === 'skipped') stdout.write(`  not revoked at the provider (${revocation.reason})\n`);
  else if (revocation) stderr.write(`Warning: could not revoke at the provider (${revocation.reason}); the tokens stay valid until they expire.\n`);
  return ExitCode.Ok;
}

/** Revoking ends the whole login at the provider: the clients' copies of it would stop working too. */
function sharedLoginReason(labels: string[]): string {
  return `${defaultSharedLoginReason(labels)}; to remove those as well, add ${CLIENT_NAMES.map((c) => `--client ${c}`).join(' / ')}`;
}

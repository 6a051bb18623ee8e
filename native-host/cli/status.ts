import type { ClientAdapter } from '../clients/client-adapter';
import { clientStatuses } from '../clients/client-status';
import { clientAdapters, describeClients } from '../clients/registry';
import { findConnectUsers, type ConnectUser } from '../connect/connect-users';
import { summarize } from '../requests/status';
import { BridgeStore } from '../stores/bridge-store';
import { defineCommand, type Command, type CommandIO } from './command';
import { ExitCode, formatExpiry, printJson, UsageError } from './output';
import { exitCodesHelp } from './exit-codes';

const HELP = `Usage: mcp-login-bridge status [--json]

Lists every login in the bridge store (the OS keychain, service "mcp-login-bridge", or without a
keychain the 0600 files under the state folder; the host config's "store" setting decides): the
server, where its entry is, its issuer, when the access token expires and whether a refresh token
is stored. Then, per local client and per server configured there: logged in or not, until when,
whether that client can refresh it by itself, and if not, why (no refresh token, no issuer, a
client id that differs from the client's config, a client secret missing from the client's
config). The clients:
${describeClients()}
Under each login, the desktop clients whose MCP config runs "mcp-login-bridge connect" for that
server (Claude Desktop, Cursor, VS Code, Windsurf; their user-level config files).
Never prints a token or a secret.

Options:
  --json     print {"ok": true, "store": {mode, fileDir, keychainProblem?}, "credentials": [...
             each with "location"], "damaged": [...], "clients": [...],
             "clientProblems": [{"target", "kind", "message"}], "connectUsers": [...]} for scripts
  -h, --help show this help

${exitCodesHelp({
  Ok: 'at least one login works (or there are none)',
  Failed: 'every stored login is broken (expired without a refresh token, refused by the provider, or unreadable)',
  Usage: 'usage',
})}`;

/** What `status` reads: the bridge's store, the clients, and the desktop configs that run `connect`. */
export interface StatusDeps {
  store: Pick<BridgeStore, 'scan' | 'storeMode' | 'fileDir'>;
  adapters: readonly ClientAdapter[];
  connectUsers: () => Promise<ConnectUser[]>;
}

export interface StatusOptions extends StatusDeps {
  io: CommandIO;
  json: boolean;
}

/** The real stores and configs, found from `io.env`. */
export function statusDeps(io: CommandIO): StatusDeps {
  return {
    store: new BridgeStore({ env: io.env }),
    adapters: clientAdapters({ env: io.env }),
    // os.homedir() reads $HOME on POSIX: the same folder, unless a test gave `io` another home.
    connectUsers: () => findConnectUsers({ env: io.env, ...(io.env.HOME ? { home: io.env.HOME } : {}) }),
  };
}

export function createStatusCommand(deps: Partial<StatusDeps> = {}, runF: (options: StatusOptions) => Promise<number> = runStatus): Command {
  return defineCommand(
    {
      name: 'status',
      summary: 'Show the servers you are logged in to and whether each can refresh',
      help: HELP,
      flags: { json: { type: 'boolean' } },
      options: ({ positionals }, io, json): StatusOptions => {
        if (positionals.length) throw new UsageError('status takes no arguments');
        return { ...statusDeps(io), ...deps, io, json };
      },
    },
    runF,
  );
}

export const statusCommand = createStatusCommand();

export async function runStatus({ io, json, store: bridge, adapters, connectUsers: findUsers }: StatusOptions): Promise<number> {
  const { stdout, stderr } = io;
  const scan = await bridge.scan();
  const mode = await bridge.storeMode();
  const locationOf = (url: string) => scan.locations.get(url)?.location;
  const credentials = scan.credentials.map((c) => ({ ...summarize(c), location: locationOf(c.serverUrl) }));
  // Damaged entries are reported, never hidden: the user has to clear or replace them.
  const damaged = scan.invalid.map((i) => ({ serverUrl: i.serverUrl, error: i.error.message }));
  const byUrl = new Map(scan.credentials.map((c) => [c.serverUrl, c]));
  const now = io.now();
  const [{ clients, problems: clientProblems }, connectUsers] = await Promise.all([
    clientStatuses({ adapters, bridgeCredential: async (url) => byUrl.get(url), now: () => now }),
    findUsers(),
  ]);
  // Like `gh auth status`: a script (or a prompt) learns from the exit code alone that nothing
  // it is logged in to still works; one login that works is enough for 0.
  const works = (c: (typeof credentials)[number]) => !c.loginNeeded && (c.refreshCapable || c.expiresAt === null || c.expiresAt > now);
  const allBroken = (credentials.length > 0 || damaged.length > 0) && !credentials.some(works);
  const exit = allBroken ? ExitCode.Failed : ExitCode.Ok;
  if (json) {
    const store = { mode, fileDir: bridge.fileDir, ...(scan.keychainProblem ? { keychainProblem: scan.keychainProblem } : {}) };
    printJson({ ok: true, store, credentials, damaged, clients, clientProblems, connectUsers }, stdout);
    return exit;
  }
  if (scan.keychainProblem) {
    // The problem is a whole sentence with its own fix: on a line of its own, not in parentheses.
    stderr.write(`Listing only the bridge's files in ${bridge.fileDir}: the keychain cannot be reached.\n${scan.keychainProblem}\n`);
  }
  for (const d of damaged) stderr.write(`Unreadable entry for ${d.serverUrl}: ${d.error}\n`);
  for (const p of clientProblems) stderr.write(`${p.message}\n`);
  if (!credentials.length) stdout.write('No logins stored yet. Run: mcp-login-bridge login <server-url>\n');
  for (const c of credentials) {
    stdout.write(
      `${c.serverUrl}\n${c.account ? `  account: ${c.account}\n` : ''}  stored in: ${c.location ?? 'unknown'}\n  issuer: ${c.issuer}\n  access token: ${formatExpiry(c.expiresAt, now)}\n  refresh: ${
        c.refreshCapable ? 'yes, stays logged in' : `NO: ${c.reason ?? 'ends when the access token expires'}`
      }\n`,
    );
    const users = connectUsers.filter((u) => u.serverUrl === c.serverUrl).map((u) => `${u.client} (${u.name})`);
    if (users.length) stdout.write(`  used through connect by: ${users.join(', ')}\n`);
  }
  for (const c of clients) {
    const name = c.label ?? c.client;
    const state = !c.loggedIn
      ? `not logged in${c.reason && c.reason !== 'not logged in' ? ` (${c.reason})` : ''}`
      : `logged in${c.store ? ` (${c.store})` : ''}, access token ${formatExpiry(c.expiresAt, now)}, ${c.refreshCapable ? 'refreshes by itself' : `does NOT refresh: ${c.reason ?? 'unknown'}`}`;
    stdout.write(`${name} ${c.server} (${c.serverUrl}): ${state}${c.issuer ? `\n  issuer: ${c.issuer}` : ''}\n`);
  }
  if (allBroken) stderr.write('None of your logins works any more: log in again (mcp-login-bridge login <server-url>).\n');
  return exit;
}

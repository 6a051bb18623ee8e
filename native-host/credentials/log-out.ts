/**
 * Logging out of a server: removes its login from the bridge's store (and, when asked, from the
 * local MCP clients' stores) and revokes it at the provider (RFC 7009) when that is safe. The one
 * implementation behind `mcp-login-bridge logout` and the host's `logout` request (the popup's
 * "Log out"), so both remove, revoke and skip revocation by the same rules.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { LogoutRemoved, LogoutRevocation } from '../../shared/protocol';
import { ClientLogouts } from '../clients/client-logouts';
import type { ClientName } from '../clients/client-adapter';
import { clientLabels } from '../clients/registry';
import { revokeCredential } from '../oauth/revoke';
import type { CredentialTarget, StoredCredential } from '../stores/credential';
import { withRefreshLock } from '../stores/refresh-lock';

export type LogoutTarget = 'bridge' | ClientName;

export interface LogoutOptions {
  /** Which stored logins to remove. */
  targets: ReadonlySet<LogoutTarget>;
  /** Set to skip revocation: the reason reported for it ("--no-revoke"). */
  noRevoke?: string;
  /** Why revocation was skipped when clients' copies left in place hold the same login (they name the way to remove them). */
  sharedLoginReason?: (labels: string[]) => string;
  /** Default: every registered client. */
  clientLogouts?: ClientLogouts;
}

export interface LogoutOutcome {
  serverUrl: string;
  removed: LogoutRemoved[];
  revocation?: LogoutRevocation;
  /** Clients' copies that could not be removed or read, and why (files and fields only). */
  problems: string[];
}

/** Revoking ends the whole login at the provider: the clients' copies of it would stop working too. */
export function defaultSharedLoginReason(labels: string[]): string {
  return `the same login is still used by ${labels.join(' and ')}, which revoking would log out too`;
}

/**
 * @throws ProtocolError NotLoggedIn when none of the targets held a login for the server (nothing
 *   was removed); KeychainUnavailable / StoreFailed from the store.
 */
export async function logOut(store: CredentialTarget, serverUrl: string, options: LogoutOptions): Promise<LogoutOutcome> {
  const { targets } = options;
  const clientTargets = [...targets].filter((t): t is ClientName => t !== 'bridge');
  // Under the refresh lock: a concurrent `token` must not write the entry back after we remove it.
  return withRefreshLock(serverUrl, async () => {
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
    const clients = await (options.clientLogouts ?? new ClientLogouts()).remove(serverUrl, clientTargets, credential);
    const removed: LogoutRemoved[] = [...clients.removed];
    let revocation: LogoutRevocation | undefined;
    if (targets.has('bridge')) {
      if (credential || damaged) {
        revocation = !credential
          ? { status: 'skipped', reason: 'the stored entry is unreadable' }
          : options.noRevoke
            ? { status: 'skipped', reason: options.noRevoke }
            : clients.sharing.length
              ? { status: 'skipped', reason: (options.sharedLoginReason ?? defaultSharedLoginReason)(clients.sharing) }
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
    return { serverUrl, removed, ...(revocation ? { revocation } : {}), problems: clients.problems };
  });
}

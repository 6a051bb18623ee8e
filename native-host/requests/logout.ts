import type { LogoutRequest, LogoutResult } from '../../shared/protocol';
import { logOut } from '../credentials/log-out';
import type { HostContext } from '../host-context';

/**
 * The popup's "Log out": the bridge's own entry only, revoked at the provider unless a client
 * still uses the same login (the clients' copies are the user's to remove, with `logout --client`).
 */
export async function handleLogout(ctx: HostContext, request: LogoutRequest): Promise<LogoutResult> {
  const { serverUrl, removed, revocation } = await logOut(ctx.store, request.serverUrl, {
    targets: new Set(['bridge']),
    sharedLoginReason: (labels) =>
      `the same login is still used by ${labels.join(' and ')}, which revoking would log out too; remove theirs in a terminal: mcp-login-bridge logout ${request.serverUrl} --client <client>`,
  });
  return { serverUrl, removed, ...(revocation ? { revocation } : {}) };
}

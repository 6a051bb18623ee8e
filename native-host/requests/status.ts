import type { CredentialSummary, StatusResult } from '../../shared/protocol';
import { clientStatuses } from '../clients/client-status';
import type { HostContext } from '../host-context';
import type { BridgeStoreScan } from '../stores/bridge-store';
import type { CredentialTarget, StoredCredential } from '../stores/credential';

/** What status may say about a credential: everything but its secrets. */
export function summarize(c: StoredCredential): CredentialSummary {
  const reason = notRefreshCapableReason(c);
  return {
    serverUrl: c.serverUrl,
    issuer: c.issuer,
    ...(c.account ? { account: c.account } : {}),
    clientId: c.clientId,
    scope: c.scope,
    expiresAt: c.expiresAt,
    refreshCapable: Boolean(c.refreshToken) && !c.loginNeeded,
    ...(c.loginNeeded ? { loginNeeded: true } : {}),
    ...(reason ? { reason } : {}),
    store: 'bridge',
  };
}

function notRefreshCapableReason(c: StoredCredential): string | undefined {
  if (c.loginNeeded) return 'the provider refused the refresh token (revoked or expired): log in again';
  if (!c.refreshToken) return "no refresh token was issued at login: the provider needs a rule (Google: access_type=offline, prompt=consent); log in again once it has one";
  return undefined;
}

export async function handleStatus(ctx: HostContext): Promise<StatusResult> {
  // Our keychain's scan also reports damaged entries: the user must see those, not a silent gap.
  const store = ctx.store as CredentialTarget & { scan?: () => Promise<BridgeStoreScan> };
  const scan = store.scan ? await store.scan() : { credentials: await store.list(), invalid: [] };
  const credentials = scan.credentials;
  const damaged = scan.invalid.map((i) => ({ serverUrl: i.serverUrl, error: i.error.message }));
  const byUrl = new Map(credentials.map((c) => [c.serverUrl, c]));
  // The clients' own logins are extra information: a client that cannot be read leaves them out
  // rather than failing the whole status.
  const found = await clientStatuses({ bridgeCredential: async (url) => byUrl.get(url) }).catch(() => undefined);
  return {
    credentials: credentials.map(summarize),
    ...(damaged.length ? { damaged } : {}),
    ...(found ? { clients: found.clients } : {}),
    ...(found?.problems.length ? { clientProblems: found.problems } : {}),
    pendingFlows: ctx.login.pendingCount(),
  };
}

import type { CredentialSummary, StatusResult } from '../../shared/protocol';
import type { HostContext } from '../host-context';
import type { StoredCredential } from '../stores/credential';

/** What status may say about a credential: everything but its secrets. */
export function summarize(c: StoredCredential): CredentialSummary {
  return {
    serverUrl: c.serverUrl,
    issuer: c.issuer,
    clientId: c.clientId,
    scope: c.scope,
    expiresAt: c.expiresAt,
    refreshCapable: Boolean(c.refreshToken) && !c.loginNeeded,
    store: 'bridge',
  };
}

export async function handleStatus(ctx: HostContext): Promise<StatusResult> {
  const credentials = await ctx.store.list();
  return { credentials: credentials.map(summarize), pendingFlows: ctx.login.flows.size };
}

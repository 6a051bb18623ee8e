/**
 * Per client, per configured server: is the user logged in there, until when, can that client
 * refresh by itself, and if not, why. Judged by each client's own rules and config (its adapter's
 * `usability`).
 */
import { ProtocolError } from '../../shared/errors';
import type { ClientLoginSummary, ClientNotice } from '../../shared/protocol';
import type { StoredCredential } from '../stores/credential';
import type { ClientAdapter } from './client-adapter';
import { asksTokenMessage } from './asks-bridge-token';
import { discoverClientServers } from './configured-servers';
import { clientAdapters } from './registry';

export interface ClientStatusDeps {
  /** Default: every registered client (registry.ts). */
  adapters?: readonly ClientAdapter[];
  /** Our own entry for a URL, when there is one: it tells whether the client is confidential. */
  bridgeCredential?: (serverUrl: string) => Promise<StoredCredential | undefined>;
  now?: () => number;
}

export async function clientStatuses(deps: ClientStatusDeps = {}): Promise<{ clients: ClientLoginSummary[]; problems: ClientNotice[] }> {
  const discovery = await discoverClientServers(deps.adapters ?? clientAdapters());
  const now = (deps.now ?? Date.now)();
  const clients: ClientLoginSummary[] = [];
  for (const { adapter, server } of discovery.servers) {
    const base = { client: server.client, label: adapter.label, server: server.name, serverUrl: server.url };
    try {
      const entry = await adapter.read(server);
      if (!entry) {
        const reason = server.asksToken ? `no copy of its own: it asks mcp-login-bridge token through its ${server.asksToken}, which uses the bridge's login` : 'not logged in';
        clients.push({ ...base, loggedIn: false, refreshCapable: false, expiresAt: null, reason });
        continue;
      }
      const ours = await deps.bridgeCredential?.(server.url).catch(() => undefined);
      const usable = adapter.usability(server, entry, { now, ...(ours ? { ours } : {}) });
      clients.push({
        ...base,
        loggedIn: usable.loggedIn,
        refreshCapable: usable.refreshCapable,
        expiresAt: entry.expiresAt,
        ...(entry.issuer ? { issuer: entry.issuer } : {}),
        ...(entry.store ? { store: entry.store } : {}),
        // A copy next to a helper that asks us is refreshed by the client too: say how to remove it.
        ...(server.asksToken ? { reason: asksTokenMessage(adapter.label, server.name, server.asksToken, server.client, server.url) } : usable.reason ? { reason: usable.reason } : {}),
      });
    } catch (error) {
      clients.push({ ...base, loggedIn: false, refreshCapable: false, expiresAt: null, reason: error instanceof ProtocolError ? error.message : 'the stored login could not be read' });
    }
  }
  return { clients, problems: discovery.problems };
}

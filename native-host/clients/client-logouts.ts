/**
 * `logout --client <client>`: removes a server's login from the local clients' stores, for every
 * server each client has configured with exactly that URL (the names and keys the client uses, as
 * for a login: client-logins.ts). And, for the revocation that follows, which of the copies left in
 * place still use the same login as our entry: revoking at the provider ends the whole grant, so it
 * would log those clients out too.
 */
import type { StoredCredential } from '../stores/credential';
import { clientLabel, describeError } from '../credentials/copy-labels';
import type { ClientAdapter, ClientName } from './client-adapter';
import { discoverClientServers, serversForUrl } from './configured-servers';
import { clientAdapters } from './registry';

export interface ClientLogoutResult {
  removed: Array<{ target: ClientName; server: string; location: string }>;
  /** Labels of the copies left in place that hold the same login as `ours` (same issuer and client). */
  sharing: string[];
  /** Copies that could not be removed or read, and why (files and fields only). */
  problems: string[];
}

export interface ClientLogoutsDeps {
  /** Default: every registered client (registry.ts). */
  adapters?: readonly ClientAdapter[];
}

export class ClientLogouts {
  readonly #adapters: readonly ClientAdapter[];

  constructor(deps: ClientLogoutsDeps = {}) {
    this.#adapters = deps.adapters ?? clientAdapters();
  }

  /** Removes `serverUrl`'s login from the `targets` clients; reports the others' copies of `ours`. */
  async remove(serverUrl: string, targets: readonly ClientName[], ours?: Pick<StoredCredential, 'issuer' | 'clientId'>): Promise<ClientLogoutResult> {
    const discovery = await discoverClientServers(this.#adapters);
    const result: ClientLogoutResult = { removed: [], sharing: [], problems: discovery.problems.map((p) => p.message) };
    // A store we neither write nor read (storeReachable false) holds no copy of ours.
    const servers = serversForUrl(discovery, serverUrl).filter(({ server }) => server.storeReachable);
    for (const { adapter, server } of servers) {
      try {
        if (targets.includes(server.client)) {
          const location = await adapter.delete(server);
          if (location !== undefined) result.removed.push({ target: server.client, server: server.name, location });
        } else if (ours) {
          const copy = await adapter.read(server);
          if (copy && copy.clientId === ours.clientId && copy.issuer === ours.issuer) result.sharing.push(clientLabel(adapter.label, server.name));
        }
      } catch (error) {
        result.problems.push(`${clientLabel(adapter.label, server.name)}: ${describeError(error)}`);
      }
    }
    return result;
  }
}

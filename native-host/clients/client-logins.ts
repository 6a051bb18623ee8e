/**
 * Writes one login into every local client that has the server configured (DESIGN.md §4), through
 * each client's adapter, under the name that client uses. One client failing does not undo the
 * others or the bridge entry; it becomes a notice that says what to do. Notices never carry a secret.
 */
import { ProtocolError } from '../../shared/errors';
import type { CompleteResult, StoredTarget } from '../../shared/protocol';
import type { StoredCredential } from '../stores/credential';
import { asksTokenMessage } from './asks-bridge-token';
import { notice, type ClientAdapter, type ClientName, type ClientNotice, type WriteContext } from './client-adapter';
import { discoverClientServers, serversForUrl, type AdaptedDiscovery } from './configured-servers';
import { clientAdapters } from './registry';

/** What each adapter's `write` gets (WriteContext), and which clients to write. */
export interface ClientLoginContext extends WriteContext {
  /** Only these clients; default: every client that has the URL configured. */
  clients?: readonly ClientName[];
}

export interface ClientLoginResult {
  stored: StoredTarget[];
  notices: ClientNotice[];
}

export interface ClientLoginDeps {
  /** Default: every registered client (registry.ts). */
  adapters?: readonly ClientAdapter[];
}

export class ClientLogins {
  readonly #adapters: readonly ClientAdapter[];

  constructor(deps: ClientLoginDeps = {}) {
    this.#adapters = deps.adapters ?? clientAdapters();
  }

  /**
   * Which servers each client has configured. A login starts this while the token endpoint
   * answers (it needs nothing from the tokens) and hands the promise to `write`.
   */
  discover(): Promise<AdaptedDiscovery> {
    return discoverClientServers(this.#adapters);
  }

  async write(credential: StoredCredential, context: ClientLoginContext = {}, discovered: Promise<AdaptedDiscovery> = this.discover()): Promise<ClientLoginResult> {
    const { clients, ...writeContext } = context;
    const wanted = clients ? new Set(clients) : undefined;
    const discovery = await discovered;
    const result: ClientLoginResult = { stored: [], notices: [...discovery.problems] };
    const configured = serversForUrl(discovery, credential.serverUrl);
    for (const { adapter, server } of configured) {
      if (wanted && !wanted.has(server.client)) continue;
      if (server.asksToken) {
        result.notices.push(notice(server.client, 'asks-token', asksTokenMessage(adapter.label, server.name, server.asksToken, server.client, server.url), server.name));
        continue;
      }
      try {
        const written = await adapter.write(server, credential, writeContext);
        if (written.location !== undefined) result.stored.push({ target: server.client, location: written.location, server: server.name });
        result.notices.push(...written.notices);
      } catch (error) {
        result.notices.push(notice(
          server.client,
          'write-failed',
          // Our own errors name files and fields only; anything else is reduced to its class.
          `Not written to ${server.client} (${server.name}): ${error instanceof ProtocolError ? error.message : `${(error as Error).name ?? 'error'}`}`,
          server.name,
        ));
      }
    }
    for (const adapter of this.#adapters) {
      if (wanted?.has(adapter.id) && !configured.some(({ server }) => server.client === adapter.id)) {
        result.notices.push(notice(adapter.id, 'not-configured', adapter.notConfiguredHint(credential.serverUrl)));
      }
    }
    return result;
  }

  /**
   * Before the browser opens: what would keep a login for `serverUrl` from reaching the clients
   * (`clients`, default all) — configs that cannot be read, and each configured server's store
   * the adapter's preflight refuses. Writes nothing; an empty list means every copy could be written.
   */
  async preflight(serverUrl: string, clients?: readonly ClientName[]): Promise<ClientNotice[]> {
    const adapters = clients ? this.#adapters.filter((a) => clients.includes(a.id)) : this.#adapters;
    const discovery = await discoverClientServers(adapters);
    const notices = [...discovery.problems];
    for (const { adapter, server } of serversForUrl(discovery, serverUrl)) {
      // A store we never write (Codex's encrypted store) is the login's notice, not a reason to
      // stop it, unless the user asked for that client by name.
      if (!server.storeReachable && !clients) continue;
      // Nothing is written where the server asks `token` itself.
      if (server.asksToken) continue;
      const refusal = await adapter.checkWritable(server);
      if (refusal) notices.push(refusal);
    }
    return notices;
  }
}

/**
 * `login --write-config` after a login that a browser's host completed: that host only said which
 * settings a client's config lacks (`settings-missing` notices); this adds them through the
 * client's adapter, taking the client secret from the keychain entry, and replaces those notices
 * with what was done.
 */
export async function applyClientAdvice(
  result: CompleteResult,
  readCredential: () => Promise<StoredCredential | undefined>,
  adapters: readonly ClientAdapter[] = clientAdapters(),
): Promise<CompleteResult> {
  const byId = new Map(adapters.map((a) => [a.id, a]));
  const pending = (result.notices ?? []).filter((n) => n.kind === 'settings-missing' && n.server && byId.get(n.target)?.applyAdvice);
  if (pending.length === 0) return result;
  const credential = await readCredential();
  if (!credential) return result;
  const notices = [...(result.notices ?? [])];
  for (const advice of pending) {
    try {
      notices[notices.indexOf(advice)] = await byId.get(advice.target)!.applyAdvice!(advice.server!, credential);
    } catch (error) {
      notices.push(notice(advice.target, 'config-edit-failed', error instanceof ProtocolError ? error.message : 'Could not edit the client\'s config.', advice.server));
    }
  }
  return { ...result, notices };
}

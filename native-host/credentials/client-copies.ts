/**
 * The local clients' copies of one login (each registered client's store, for every server it has
 * configured with the URL), read and written while each client's own refresh lock is held
 * (`ClientAdapter.withLock`).
 *
 * The locks are held for as long as the caller's function runs (the whole of our refresh): the
 * clients hold the same locks across their own refreshes and re-read their store after taking
 * them, so none can refresh with the token we are refreshing with, and each starts from whatever we
 * wrote. Lock order is ours (bridge refresh lock, taken by the caller) → each client's lock, in the
 * registry's order; the clients never take ours or each other's, and within one client the adapter
 * takes its locks in the client's own order, so there is no cycle.
 *
 * A client whose lock cannot be taken in time, or whose store cannot be read, is left out with a
 * warning: `token` then behaves as before this existed for that client, rather than failing.
 * Warnings name the client, the server and the file or field, never a token. */
import type { ClientAdapter } from '../clients/client-adapter';
import { discoverClientServers, onePerEntry, serversForUrl } from '../clients/configured-servers';
import { clientAdapters } from '../clients/registry';
import type { StoredCredential } from '../stores/credential';
import { clientLabel, describeError } from './copy-labels';
import type { ClientCopy } from './rotation-sync';

/** A copy found under its client's lock, and how to give it new tokens while that lock is held. */
export interface HeldCopy {
  copy: ClientCopy;
  /** How messages name this copy: `Codex (server "gmail")`. */
  label: string;
  /** Resolves to a warning when the copy was written but something around it was not (an old entry elsewhere in the client's stores). */
  write(credential: StoredCredential): Promise<string | undefined>;
}

export interface HeldCopies {
  copies: HeldCopy[];
  /** Clients left out, and why. */
  warnings: string[];
}

export type WithClientCopies = <T>(serverUrl: string, fn: (held: HeldCopies) => Promise<T>) => Promise<T>;

export interface ClientCopiesDeps {
  /** Default: every registered client (registry.ts), waiting at most LOCK_WAIT_MS for a lock. */
  adapters?: readonly ClientAdapter[];
}

/**
 * Less than the clients' own waits (up to 60 s): `token` runs as a headers helper with a deadline
 * (some clients give it 10 s), and a client holding its lock that long is stuck on the network anyway.
 */
const LOCK_WAIT_MS = 8_000;

export function clientCopies(deps: ClientCopiesDeps = {}): WithClientCopies {
  const adapters = deps.adapters ?? clientAdapters({ lockWaitMs: LOCK_WAIT_MS });

  return async <T>(serverUrl: string, fn: (held: HeldCopies) => Promise<T>): Promise<T> => {
    const discovery = await discoverClientServers(adapters);
    // A store we neither read nor write (storeReachable false) holds no copy of ours to keep in step.
    const servers = onePerEntry(serversForUrl(discovery, serverUrl)).filter(({ server }) => server.storeReachable);
    // Config problems may hide a client's copy: say so, since that copy then keeps a spent token.
    const held: HeldCopies = { copies: [], warnings: discovery.problems.map((p) => p.message) };

    // One server at a time, each lock held until everything after it (and `fn`) is done.
    const holdFrom = async (index: number): Promise<T> => {
      const next = servers[index];
      if (!next) return fn(held);
      const { adapter, server } = next;
      const label = clientLabel(adapter.label, server.name);
      let entered = false;
      try {
        return await adapter.withLock(server, async (entry) => {
          try {
            const found = await entry.read();
            if (found) {
              held.copies.push({
                copy: { client: server.client, server: server.name, ...(found.issuer ? { issuer: found.issuer } : {}), ...(found.clientId !== undefined ? { clientId: found.clientId } : {}), ...(found.accessToken ? { accessToken: found.accessToken } : {}), ...(found.refreshToken ? { refreshToken: found.refreshToken } : {}), expiresAt: found.expiresAt },
                label,
                write: (credential) => entry.updateTokens(credential),
              });
            }
          } catch (error) {
            // An unreadable copy becomes a warning, and the lock stays held.
            held.warnings.push(`${label}: its copy of the login could not be read (${describeError(error)}).`);
          }
          entered = true;
          return holdFrom(index + 1);
        });
      } catch (error) {
        // A failure after `next` ran came from later servers or from `fn`: not ours to swallow.
        if (entered) throw error;
        held.warnings.push(`${label}: its copy of the login was not checked (${describeError(error)}).`);
        return holdFrom(index + 1);
      }
    };
    return holdFrom(0);
  };
}

/**
 * Before a login opens anything: can each local client the login will write take its copy? Asks
 * every client adapter (clients/registry.ts) for the servers it has configured with exactly this
 * URL, limited to the `--client` targets when given, and its `checkWritable` preflight for each.
 * The bridge's own store is checked by the store itself (BridgeStore.checkWritable).
 *
 * A store a login would write and cannot is an error now, with each client's reason and fix: after
 * the sign-in the code is spent and the user would have to start over. Servers whose store we
 * never write (`storeReachable` false) and configs that cannot be read are left to the login's
 * notices, as before: those are not writes that would fail.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { ClientName } from '../clients/client-adapter';
import { ClientLogins } from '../clients/client-logins';

export async function checkClientStoresWritable(
  serverUrl: string,
  only: readonly ClientName[] | undefined,
  clients: ClientLogins = new ClientLogins(),
): Promise<void> {
  // Configs that cannot be read are the login's notices (those servers are not written at all).
  const problems = (await clients.preflight(serverUrl, only)).filter((n) => n.kind === 'store-unwritable');
  if (problems.length === 0) return;
  throw new ProtocolError(
    ErrorCode.StoreFailed,
    `Nothing was opened: the login could not be stored in ${problems.length === 1 ? 'a client' : 'these clients'}. ` +
      problems.map((p) => p.message).join(' ') +
      ' Fix that and log in again, or leave the client out with --client (e.g. --client bridge).',
  );
}

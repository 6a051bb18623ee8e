/**
 * Where a redeemed login goes: the credential built from the flow and the token response, written
 * to the bridge's entry first and then into every local client with the server configured. The
 * caller holds the server's refresh lock. A failed bridge write after the code was spent keeps the
 * credential where it can be recovered (the store's rescue file), still writes the clients, and then
 * fails saying where everything went.
 */
import type * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { ClientNotice, StoredTarget } from '../../shared/protocol';
import type { ClientLogins } from '../clients/client-logins';
import type { AdaptedDiscovery } from '../clients/configured-servers';
import type { CredentialTarget, StoredCredential } from '../stores/credential';
import { credentialFromTokens, metadataForRefresh } from './credential-from-tokens';
import type { PendingFlow } from './pending-flows';
import { pauseAfterKeychainWrite } from './store-write-pause';

/** The credential a flow's token response makes, with the account it names (if any) and the registration it used. */
export function credentialForFlow(flow: PendingFlow, tokens: oauth.TokenEndpointResponse, account: string | undefined, now: number): StoredCredential {
  const credential = credentialFromTokens(
    {
      serverUrl: flow.serverUrl,
      resource: flow.resource,
      issuer: flow.as.issuer,
      clientId: flow.client.clientId,
      ...(flow.client.clientSecret ? { clientSecret: flow.client.clientSecret } : {}),
      tokenEndpointAuthMethod: flow.client.tokenEndpointAuthMethod,
      requestedScopes: flow.scopes,
      ...metadataForRefresh(flow.as),
      ...(account ? { account } : {}),
    },
    tokens,
    now,
  );
  // A registered client is kept with the login, for the next one to the same issuer.
  if (flow.client.registration) credential.registration = flow.client.registration;
  return credential;
}

export interface LoginWriteTargets {
  store: CredentialTarget;
  clients?: ClientLogins;
  /** The clients' configured servers, discovery started by the caller while the exchange ran. */
  discovered?: Promise<AdaptedDiscovery>;
}

/** Writes `credential` everywhere it goes; returns where it was stored and the clients' notices. */
export async function writeLogin(
  flow: PendingFlow,
  credential: StoredCredential,
  { store, clients, discovered }: LoginWriteTargets,
): Promise<{ stored: StoredTarget[]; notices: ClientNotice[] }> {
  const stored: StoredTarget[] = [];
  let bridgeFailure: ProtocolError | undefined;
  // The bridge's entry first, then the clients': a crash between them leaves the newest
  // refresh token in the bridge's entry (login-crash.process.test.ts).
  try {
    await store.write(credential);
    await pauseAfterKeychainWrite();
    stored.push({ target: store.name, location: store.describe() });
  } catch (error) {
    // The code is spent: keep the credential where it can be recovered, still write the
    // clients, then fail saying where everything went.
    bridgeFailure = await rescueCredential(store, credential, error);
  }
  let notices: ClientNotice[] = [];
  if (clients && discovered) {
    const written = await clients.write(
      credential,
      {
        ...(flow.resourceMetadataUrl ? { resourceMetadataUrl: flow.resourceMetadataUrl } : {}),
        // Clients that store the token endpoint (Gemini CLI) then need no discovery of their own.
        ...(flow.as.token_endpoint ? { tokenEndpoint: flow.as.token_endpoint } : {}),
        ...flow.clientOptions,
      },
      discovered,
    );
    stored.push(...written.stored);
    notices = written.notices;
  }
  if (bridgeFailure) {
    const clients = stored.map((s) => `${s.target}${s.server ? ` (${s.server})` : ''}: ${s.location}`);
    throw new ProtocolError(
      bridgeFailure.code,
      `${bridgeFailure.message}${clients.length ? ` The login was written to ${clients.join('; ')}.` : ''}`,
      { cause: bridgeFailure },
    );
  }
  return { stored, notices };
}

/** The error to report when the bridge's write failed after the code was redeemed, saying where the credential was kept. */
async function rescueCredential(store: CredentialTarget, credential: StoredCredential, error: unknown): Promise<ProtocolError> {
  const reason = error instanceof ProtocolError ? error : new ProtocolError(ErrorCode.StoreFailed, `the bridge's store failed (${(error as Error).name})`);
  const head = `The login succeeded, but storing it failed: ${reason.message}`;
  if (!store.rescue) return new ProtocolError(reason.code, `${head} Log in again once that is fixed.`);
  try {
    const where = await store.rescue(credential);
    return new ProtocolError(
      reason.code,
      `${head} The credential was kept in ${where} (mode 0600): "token" reads it when the host config's "store" is "auto" (the default) or "file"; ` +
        'with "store": "keychain", fix the keychain and log in again (then remove that file).',
    );
  } catch (rescueError) {
    const why = rescueError instanceof ProtocolError ? rescueError.message : (rescueError as Error).name;
    return new ProtocolError(reason.code, `${head} Keeping it in a file failed too (${why}); log in again once that is fixed.`);
  }
}

/**
 * What `LoginService.complete` does to a callback once it has taken the flow by state, in order:
 * - the callback is checked against that flow: it came to the flow's redirect URI, its issuer is
 *   the flow's (RFC 9207), and it is a valid authorization response for the flow's state
 *   (RFC 6749 §4.1.2), or the provider's refusal;
 * - its code is redeemed (DESIGN.md §3.1 step 6): the code, the flow's PKCE verifier and its
 *   client's authentication go to the token endpoint with oauth4webapi, and what the endpoint refuses
 *   becomes a protocol error naming neither the code, the verifier nor the client secret; a reused
 *   registration the server no longer knows is marked so the caller can forget it under the lock;
 * - the credential built from the flow and the token response is written to the bridge's entry
 *   first and then into every local client with the server configured (the caller holds the
 *   server's refresh lock). A failed bridge write after the code was spent keeps the credential
 *   where it can be recovered (the store's rescue file), still writes the clients, and then fails
 *   saying where everything went.
 * One file for the three because they are one step of the route from the tab to the keychain; the
 * flows, their order and the lock stay in login-service.ts.
 */
import * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { ClientNotice, StoredTarget } from '../../shared/protocol';
import type { ClientLogins } from '../clients/client-logins';
import type { AdaptedDiscovery } from '../clients/configured-servers';
import type { CredentialTarget, StoredCredential } from '../stores/credential';
import { clientAuthFor } from './client-auth';
import { credentialFromTokens, metadataForRefresh } from './credential-from-tokens';
import { httpOptions, policyFor } from './http-options';
import { issuerProblem } from './issuer-check';
import type { PendingFlow } from './pending-flows';
import { oauthFailureText } from './provider-error';
import { pauseAfterKeychainWrite } from './store-write-pause';

// The callback's check.

function asMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Returns the callback's parameters for the code exchange, or throws the protocol error that says what is wrong. */
export function checkCallback(flow: PendingFlow, callback: URL): URLSearchParams {
  if (callback.origin + callback.pathname !== flow.redirectUri) {
    throw new ProtocolError(ErrorCode.InvalidCallback, `the callback went to ${callback.origin}${callback.pathname}, not to this login's redirect URI`);
  }
  const client = { client_id: flow.client.clientId };
  // Checked here rather than inferred from the library's message: a mix-up must be named as such.
  const problem = issuerProblem(flow.as, callback.searchParams);
  if (problem) {
    // The response may be an attacker's: its error, error_description and error_uri are not
    // shown or acted on (MCP authorization, "Authorization Response Validation").
    throw new ProtocolError(ErrorCode.IssuerResponseMismatch, `${problem} (RFC 9207): possible mix-up attack, login refused`);
  }
  try {
    return oauth.validateAuthResponse(flow.as, client, callback.searchParams, flow.state);
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError) {
      throw new ProtocolError(ErrorCode.AuthorizationDenied, `the provider refused the login: ${oauthFailureText(err)}`);
    }
    throw new ProtocolError(ErrorCode.InvalidCallback, `the callback is not a valid authorization response: ${asMessage(err)}`);
  }
}

// The code exchange.

/** Token-endpoint errors that mean the reused registration is gone (see redeemCode). */
const disownedRegistrations = new WeakSet<Error>();

/**
 * Redeems the code in `params` for `flow`, on the connection to the token endpoint the flow opened
 * when it began (a new one if that was lost). `onSent` is called once the request has been written
 * (httpOptions), so work that must not compete with the request can start after it.
 */
export async function redeemCode(flow: PendingFlow, params: URLSearchParams, onSent?: () => void): Promise<oauth.TokenEndpointResponse> {
  const client = { client_id: flow.client.clientId };
  const auth = clientAuthFor(flow.client.tokenEndpointAuthMethod, flow.client.clientSecret);
  try {
    const response = await oauth.authorizationCodeGrantRequest(flow.as, client, auth, params, flow.redirectUri, flow.codeVerifier, {
      additionalParameters: { resource: flow.resource },
      ...httpOptions(flow.as.token_endpoint!, policyFor(flow.serverUrl), onSent, flow.tokenConnection),
    });
    return await oauth.processAuthorizationCodeResponse(flow.as, client, response);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    if (err instanceof oauth.ResponseBodyError && err.error === 'invalid_client' && flow.client.source === 'reused-registration') {
      // Forgotten by the caller (forgetDisownedRegistration), which holds the server's lock by then.
      const disowned = new ProtocolError(
        ErrorCode.TokenExchangeFailed,
        `${flow.as.issuer} no longer knows the client registered at an earlier login (invalid_client); it is forgotten: ` +
          `log in again, and a new client is registered`,
        { cause: err },
      );
      disownedRegistrations.add(disowned);
      throw disowned;
    }
    const detail = oauthFailureText(err, [params.get('code') ?? undefined, flow.codeVerifier, flow.client.clientSecret]);
    throw new ProtocolError(ErrorCode.TokenExchangeFailed, `the token endpoint of ${flow.as.issuer} refused the code: ${detail}`, {
      cause: err,
    });
  }
}

/** Whether `error` (thrown by redeemCode) says the server disowned the flow's reused registration. */
export function isDisownedRegistration(error: unknown): boolean {
  return error instanceof Error && disownedRegistrations.has(error);
}

/**
 * Removes a registration the server disowned from the stored login, so the next login registers
 * again; the rest of the entry (its tokens, made with that client) is left as it is. The caller
 * holds the server's lock.
 */
export async function forgetDisownedRegistration(store: CredentialTarget, flow: PendingFlow): Promise<void> {
  try {
    const stored = await store.read(flow.serverUrl);
    if (!stored?.registration || stored.clientId !== flow.client.clientId) return;
    const { registration: _gone, ...rest } = stored;
    await store.write(rest);
  } catch {
    // Best effort: the error the user sees already says what happened.
  }
}

// The write.

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

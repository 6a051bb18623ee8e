/**
 * A login's code exchange (DESIGN.md §3.1 step 6): the authorization code, the flow's PKCE verifier
 * and its client's authentication go to the token endpoint, with oauth4webapi, and what the endpoint
 * refuses becomes a protocol error that names neither the code, the verifier nor the client secret.
 * A reused registration the server no longer knows is marked so the caller can forget it while it
 * holds the server's lock.
 */
import * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { CredentialTarget } from '../stores/credential';
import { clientAuthFor } from './client-auth';
import { httpOptions, policyFor } from './http-options';
import type { PendingFlow } from './pending-flows';
import { oauthFailureText } from './provider-error';

/** Token-endpoint errors that mean the reused registration is gone (see redeemCode). */
const disownedRegistrations = new WeakSet<Error>();

/**
 * Redeems the code in `params` for `flow`. `onSent` is called once the request has been written
 * (httpOptions), so work that must not compete with the request's connect can start after it.
 */
export async function redeemCode(flow: PendingFlow, params: URLSearchParams, onSent?: () => void): Promise<oauth.TokenEndpointResponse> {
  const client = { client_id: flow.client.clientId };
  const auth = clientAuthFor(flow.client.tokenEndpointAuthMethod, flow.client.clientSecret);
  try {
    const response = await oauth.authorizationCodeGrantRequest(flow.as, client, auth, params, flow.redirectUri, flow.codeVerifier, {
      additionalParameters: { resource: flow.resource },
      ...httpOptions(flow.as.token_endpoint!, policyFor(flow.serverUrl), onSent),
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

/**
 * Refresh grant (RFC 6749 §6) with the resource indicator (RFC 8707 §2.2), in one request: the
 * token endpoint (and what validating the answer needs of the metadata) is kept with the
 * credential. The authorization server's metadata is read again only when the stored endpoint
 * answers as if it moved (a redirect, 404, 405, 410, or its host name no longer resolves), or when
 * the entry predates keeping it; the credential written after the refresh then carries the new one.
 */
import * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { StoredCredential } from '../stores/credential';
import { clientAuthFor } from './client-auth';
import { credentialFromTokens, metadataForRefresh } from './credential-from-tokens';
import { discoverAuthorizationServer } from './discovery';
import { oauthFailureText } from './provider-error';
import { NetworkError } from '../http/http-request';
import { assertSecureUrl, httpOptions, policyFor, type NetworkPolicy } from './http-options';

export { REFRESH_MARGIN_MS, needsRefresh } from './refresh-margin';

/**
 * Error codes after which retrying cannot help: the grant is gone (revoked, expired, consent
 * withdrawn, a spent rotated token), or the client is (a dynamically registered client the
 * provider deleted never comes back). Each names what was refused, for the message.
 */
const LOGIN_AGAIN = new Map<string, string>([
  ['invalid_grant', 'refresh token (revoked, expired or consent withdrawn)'],
  ['invalid_client', 'client registration'],
  ['unauthorized_client', 'client for refreshing'],
]);

/**
 * Answers of a token endpoint that is no longer there. A grant the endpoint refused is a 400/401
 * (RFC 6749 §5.2), never one of these, so the refresh token was not spent and may be sent again.
 */
const MOVED_STATUS = new Set([301, 302, 303, 307, 308, 404, 405, 410]);

/** The metadata as kept with the credential; checked like discovered metadata (https or loopback, policy). */
function storedMetadata(credential: StoredCredential, policy: NetworkPolicy): oauth.AuthorizationServer | undefined {
  if (!credential.tokenEndpoint) return undefined;
  assertSecureUrl(credential.tokenEndpoint, 'the stored token endpoint', policy);
  return {
    issuer: credential.issuer,
    token_endpoint: credential.tokenEndpoint,
    ...(credential.idTokenSigningAlgs ? { id_token_signing_alg_values_supported: credential.idTokenSigningAlgs } : {}),
  };
}

export async function refreshCredential(credential: StoredCredential, now: () => number = Date.now): Promise<StoredCredential> {
  const refreshToken = credential.refreshToken;
  if (!refreshToken) {
    throw new ProtocolError(
      ErrorCode.LoginNeeded,
      `the access token for ${credential.serverUrl} has expired and there is no refresh token; run: mcp-login-bridge login ${credential.serverUrl}`,
    );
  }
  // The policy of the login's MCP server, as at login: a remote server's issuer stays remote.
  const policy = policyFor(credential.serverUrl);
  const client = { client_id: credential.clientId };
  const auth = clientAuthFor(credential.tokenEndpointAuthMethod, credential.clientSecret);
  const request = (as: oauth.AuthorizationServer) =>
    oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, {
      additionalParameters: { resource: credential.resource, ...(credential.scope ? { scope: credential.scope } : {}) },
      ...httpOptions(as.token_endpoint!, policy),
    });
  let tokens: oauth.TokenEndpointResponse;
  let as = storedMetadata(credential, policy);
  try {
    let response: Response | undefined;
    if (as) {
      response = await request(as).catch((err: unknown) => {
        // The endpoint's host is gone: the provider may have moved it; discovery will tell.
        if (err instanceof NetworkError && err.kind === 'dns') return undefined;
        throw err;
      });
      if (!response || MOVED_STATUS.has(response.status)) {
        const fresh = await discoverAuthorizationServer(credential.issuer, policy);
        // The same endpoint again while it answered: it is simply failing; its answer is the one to report.
        if (!response || fresh.token_endpoint !== as.token_endpoint) {
          await response?.body?.cancel();
          response = await request(fresh);
        }
        as = fresh;
      }
    } else {
      as = await discoverAuthorizationServer(credential.issuer, policy);
      response = await request(as);
    }
    tokens = await oauth.processRefreshTokenResponse(as, client, response);
  } catch (err) {
    // A provider that cannot be found or reached at all (discovery failed) is an outage like any
    // other: the stored login is as good as before, and the message says so.
    if (err instanceof ProtocolError && err.code !== ErrorCode.DiscoveryFailed) throw err;
    // Only a 400/401 answer is the provider's verdict on the grant or the client (RFC 6749 §5.2);
    // the same code in a 5xx body is an outage, and the stored login is kept for a retry.
    if (err instanceof oauth.ResponseBodyError && (err.status === 400 || err.status === 401) && LOGIN_AGAIN.has(err.error)) {
      throw new ProtocolError(
        ErrorCode.LoginNeeded,
        `${credential.issuer} no longer accepts the ${LOGIN_AGAIN.get(err.error)} for ${credential.serverUrl} (${err.error}); run: mcp-login-bridge login ${credential.serverUrl}`,
        { cause: err },
      );
    }
    const detail = oauthFailureText(err, [credential.refreshToken, credential.clientSecret]);
    throw new ProtocolError(ErrorCode.RefreshFailed, `refreshing the token for ${credential.serverUrl} failed: ${detail}. Your login is kept (nothing was lost): try again later`, {
      cause: err,
    });
  }
  return credentialFromTokens(
    {
      serverUrl: credential.serverUrl,
      resource: credential.resource,
      issuer: credential.issuer,
      clientId: credential.clientId,
      ...(credential.clientSecret ? { clientSecret: credential.clientSecret } : {}),
      tokenEndpointAuthMethod: credential.tokenEndpointAuthMethod,
      requestedScopes: credential.scope.split(' ').filter(Boolean),
      ...metadataForRefresh(as),
    },
    tokens,
    now(),
    credential,
  );
}

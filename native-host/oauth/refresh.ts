/**
 * Refresh grant (RFC 6749 §6) with the resource indicator (RFC 8707 §2.2). The token endpoint is
 * looked up again from the stored issuer each time, as Codex does, so a provider that moves its
 * endpoints keeps working.
 */
import * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { StoredCredential } from '../stores/credential';
import { clientAuthFor } from './client-auth';
import { credentialFromTokens } from './credential-from-tokens';
import { discoverAuthorizationServer } from './discovery';
import { httpOptions, policyFor } from './http-options';

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

/** The provider's own error text, as it goes into our messages: bounded, one line, no control characters. */
function providerText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 200);
}

export async function refreshCredential(credential: StoredCredential, now: () => number = Date.now): Promise<StoredCredential> {
  if (!credential.refreshToken) {
    throw new ProtocolError(
      ErrorCode.LoginNeeded,
      `the access token for ${credential.serverUrl} has expired and there is no refresh token; run: mcp-login-bridge login ${credential.serverUrl}`,
    );
  }
  // The policy of the login's MCP server, as at login: a remote server's issuer stays remote.
  const policy = policyFor(credential.serverUrl);
  const as = await discoverAuthorizationServer(credential.issuer, policy);
  const client = { client_id: credential.clientId };
  const auth = clientAuthFor(credential.tokenEndpointAuthMethod, credential.clientSecret);
  let tokens: oauth.TokenEndpointResponse;
  try {
    const response = await oauth.refreshTokenGrantRequest(as, client, auth, credential.refreshToken, {
      additionalParameters: { resource: credential.resource, ...(credential.scope ? { scope: credential.scope } : {}) },
      ...httpOptions(as.token_endpoint!, policy),
    });
    tokens = await oauth.processRefreshTokenResponse(as, client, response);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    // Only a 400/401 answer is the provider's verdict on the grant or the client (RFC 6749 §5.2);
    // the same code in a 5xx body is an outage, and the stored login is kept for a retry.
    if (err instanceof oauth.ResponseBodyError && (err.status === 400 || err.status === 401) && LOGIN_AGAIN.has(err.error)) {
      throw new ProtocolError(
        ErrorCode.LoginNeeded,
        `${credential.issuer} no longer accepts the ${LOGIN_AGAIN.get(err.error)} for ${credential.serverUrl} (${err.error}); run: mcp-login-bridge login ${credential.serverUrl}`,
        { cause: err },
      );
    }
    const detail = err instanceof oauth.ResponseBodyError ? `${providerText(err.error)} (HTTP ${err.status})` : (err as Error).message;
    throw new ProtocolError(ErrorCode.RefreshFailed, `refreshing the token for ${credential.serverUrl} failed: ${detail}; the stored login is kept`, {
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
    },
    tokens,
    now(),
    credential,
  );
}

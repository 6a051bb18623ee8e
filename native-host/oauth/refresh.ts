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
    if (err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant') {
      throw new ProtocolError(
        ErrorCode.LoginNeeded,
        `${credential.issuer} no longer accepts the refresh token for ${credential.serverUrl} (invalid_grant: revoked, expired or consent withdrawn); run: mcp-login-bridge login ${credential.serverUrl}`,
        { cause: err },
      );
    }
    const detail = err instanceof oauth.ResponseBodyError ? err.error : (err as Error).message;
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

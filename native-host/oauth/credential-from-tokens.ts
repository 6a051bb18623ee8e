import type * as oauth from 'oauth4webapi';
import type { StoredCredential } from '../stores/credential';

export interface CredentialContext {
  serverUrl: string;
  resource: string;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  tokenEndpointAuthMethod: StoredCredential['tokenEndpointAuthMethod'];
  requestedScopes: string[];
}

/**
 * The stored form of a token response. A refresh response without a refresh token keeps the old
 * one (Google never re-sends it; RFC 6749 §6 makes it optional).
 */
export function credentialFromTokens(
  ctx: CredentialContext,
  tokens: oauth.TokenEndpointResponse,
  now: number,
  previous?: StoredCredential,
): StoredCredential {
  const refreshToken = tokens.refresh_token ?? previous?.refreshToken;
  return {
    serverUrl: ctx.serverUrl,
    resource: ctx.resource,
    issuer: ctx.issuer,
    clientId: ctx.clientId,
    ...(ctx.clientSecret ? { clientSecret: ctx.clientSecret } : {}),
    tokenEndpointAuthMethod: ctx.tokenEndpointAuthMethod,
    accessToken: tokens.access_token,
    tokenType: tokens.token_type,
    ...(refreshToken ? { refreshToken } : {}),
    expiresAt: typeof tokens.expires_in === 'number' ? now + tokens.expires_in * 1000 : null,
    scope: tokens.scope ?? previous?.scope ?? ctx.requestedScopes.join(' '),
    updatedAt: now,
  };
}

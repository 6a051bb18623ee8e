/**
 * Token revocation (RFC 7009) at logout, when the authorization server advertises a
 * `revocation_endpoint`. The refresh token is revoked first (RFC 7009 §2.1: the server should then
 * drop the grant's access tokens too), then the access token, for servers that do not.
 */
import * as oauth from 'oauth4webapi';
import type { StoredCredential } from '../stores/credential';
import { clientAuthFor } from './client-auth';
import { discoverAuthorizationServer } from './discovery';
import { oauthFailureText } from './provider-error';
import { httpOptions, policyFor } from './http-options';

export type RevocationOutcome =
  | {
      status: 'revoked';
      tokens: ('refresh_token' | 'access_token')[];
      /** Kinds the server said it cannot revoke (RFC 7009 §2.2.1 unsupported_token_type, e.g. JWT access tokens). */
      notRevocable: ('refresh_token' | 'access_token')[];
    }
  /** The endpoint exists but took none of the tokens: nothing was revoked, so nothing may say so. */
  | { status: 'notRevocable'; notRevocable: ('refresh_token' | 'access_token')[] }
  | { status: 'unsupported' }
  | { status: 'failed'; reason: string };

export async function revokeCredential(credential: StoredCredential): Promise<RevocationOutcome> {
  const policy = policyFor(credential.serverUrl);
  let as: oauth.AuthorizationServer;
  try {
    as = await discoverAuthorizationServer(credential.issuer, policy);
  } catch (err) {
    return { status: 'failed', reason: (err as Error).message };
  }
  if (!as.revocation_endpoint) return { status: 'unsupported' };
  const client = { client_id: credential.clientId };
  const auth = clientAuthFor(credential.tokenEndpointAuthMethod, credential.clientSecret);
  const revoked: ('refresh_token' | 'access_token')[] = [];
  const notRevocable: ('refresh_token' | 'access_token')[] = [];
  const tokens: [string | undefined, 'refresh_token' | 'access_token'][] = [
    [credential.refreshToken, 'refresh_token'],
    [credential.accessToken, 'access_token'],
  ];
  for (const [token, hint] of tokens) {
    if (!token) continue;
    try {
      const response = await oauth.revocationRequest(as, client, auth, token, {
        additionalParameters: { token_type_hint: hint },
        ...httpOptions(as.revocation_endpoint, policy),
      });
      await oauth.processRevocationResponse(response);
      revoked.push(hint);
    } catch (err) {
      if (err instanceof oauth.ResponseBodyError && err.error === 'unsupported_token_type') {
        notRevocable.push(hint);
        continue;
      }
      // The token being revoked is masked should the provider echo it.
      const detail = oauthFailureText(err, [token, credential.clientSecret]);
      return { status: 'failed', reason: `${as.revocation_endpoint} refused to revoke the ${hint.replace('_', ' ')}: ${detail}` };
    }
  }
  if (!revoked.length) return { status: 'notRevocable', notRevocable };
  return { status: 'revoked', tokens: revoked, notRevocable };
}

/**
 * Which account a new login is for, found once, at login: from the ID token's claims when the
 * token response had one (oauth4webapi validated it in the code exchange), else from the userinfo
 * endpoint when the metadata names one. The lookup is a nicety: it is bounded in time and any
 * failure (no endpoint, an access token the endpoint does not accept, a slow provider) leaves the
 * login without an account name rather than failing it.
 */
import * as oauth from 'oauth4webapi';
import { accountFromClaims, hasReadableAccount } from '../../shared/account';
import type { NetworkPolicy } from './guarded-fetch';
import { httpOptions, requestTimeoutMs } from './http-options';

/** The userinfo request may delay a login by this much at most. */
const USERINFO_TIMEOUT_MS = 5_000;

export async function loginAccount(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  tokens: oauth.TokenEndpointResponse,
  policy: NetworkPolicy,
): Promise<string | undefined> {
  const claims = oauth.getValidatedIdTokenClaims(tokens) as Record<string, unknown> | undefined;
  // An email or user name in the ID token says it all; a bare `sub` is worth one request for a
  // name people recognise, and is the answer when that request brings none.
  if (hasReadableAccount(claims) || typeof as.userinfo_endpoint !== 'string') return accountFromClaims(claims);
  try {
    const options = { ...httpOptions(as.userinfo_endpoint, policy), signal: AbortSignal.timeout(Math.min(USERINFO_TIMEOUT_MS, requestTimeoutMs())) };
    const response = await oauth.userInfoRequest(as, client, tokens.access_token, options);
    // With an ID token, the userinfo answer must be about the same subject (OIDC Core §5.3.2).
    const expected = typeof claims?.sub === 'string' ? claims.sub : oauth.skipSubjectCheck;
    const info = await oauth.processUserInfoResponse(as, client, expected, response);
    return accountFromClaims(info as Record<string, unknown>) ?? accountFromClaims(claims);
  } catch {
    return accountFromClaims(claims);
  }
}

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
  /** From the authorization server metadata, kept so a refresh needs no discovery. */
  tokenEndpoint?: string;
  idTokenSigningAlgs?: string[];
  /** Which account the login is for, when the login found out (login-account.ts). */
  account?: string;
}

/** What a refresh needs of the authorization server metadata, kept with the credential. */
export function metadataForRefresh(as: oauth.AuthorizationServer): Pick<CredentialContext, 'tokenEndpoint' | 'idTokenSigningAlgs'> {
  const algs = as.id_token_signing_alg_values_supported;
  return {
    ...(typeof as.token_endpoint === 'string' ? { tokenEndpoint: as.token_endpoint } : {}),
    ...(Array.isArray(algs) && algs.length && algs.every((a) => typeof a === 'string') ? { idTokenSigningAlgs: [...algs] } : {}),
  };
}

/**
 * Longest access token lifetime we record. A provider may send any number (1e300, a fraction of a
 * second); the stores accept only a whole, safe epoch-ms expiry, and a refusal there would come
 * after a rotating provider already spent the old refresh token.
 */
const MAX_EXPIRES_IN_S = 10 * 365 * 86_400;

/** Epoch ms of expiry: whole milliseconds, never before `now`, at most ten years ahead. */
export function expiryFrom(expiresIn: number, now: number): number {
  const seconds = Number.isFinite(expiresIn) ? Math.min(Math.max(expiresIn, 0), MAX_EXPIRES_IN_S) : MAX_EXPIRES_IN_S;
  return Math.floor(now + seconds * 1000);
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
  // A refresh keeps the account the login was made with: it is the same grant.
  const account = ctx.account ?? previous?.account;
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
    expiresAt: typeof tokens.expires_in === 'number' ? expiryFrom(tokens.expires_in, now) : null,
    scope: tokens.scope ?? previous?.scope ?? ctx.requestedScopes.join(' '),
    updatedAt: now,
    // A refresh keeps the registered client the login was made with, for the next login.
    ...(previous?.registration ? { registration: previous.registration } : {}),
    ...(ctx.tokenEndpoint ? { tokenEndpoint: ctx.tokenEndpoint } : {}),
    ...(ctx.idTokenSigningAlgs?.length ? { idTokenSigningAlgs: ctx.idTokenSigningAlgs } : {}),
    ...(account ? { account } : {}),
  };
}

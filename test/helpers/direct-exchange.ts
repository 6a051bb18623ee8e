/**
 * One login at the fixture provider with nothing of ours around it: an authorize request (PKCE,
 * the MCP server as resource) followed to its callback, then the code redeemed at /token. What the
 * capture bench times as its baseline, and what the fixture-servers test checks the provider
 * answers from its own process. The tokens are read and dropped here: callers get a status and a
 * time only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { followToCallback } from './redirect-follower';

export interface ProviderClient {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export interface DirectExchange {
  /** The token endpoint's HTTP status. */
  status: number;
  /** The token request alone, from sending it to its whole body read. */
  tokenMs: number;
}

export async function exchangeAtProvider(provider: ProviderClient, resource: string): Promise<DirectExchange> {
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = 'http://127.0.0.1:1/callback';
  const auth = new URL('/auth', provider.issuer);
  auth.search = new URLSearchParams({
    client_id: provider.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid',
    state: 's',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource,
  }).toString();
  const { callback } = await followToCallback(auth, redirectUri);
  const started = performance.now();
  const response = await fetch(new URL('/token', provider.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: provider.clientId,
      client_secret: provider.clientSecret,
    }),
  });
  await response.arrayBuffer();
  return { status: response.status, tokenMs: performance.now() - started };
}

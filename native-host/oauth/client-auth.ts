import * as oauth from 'oauth4webapi';
import type { StoredCredential } from '../stores/credential';

export type TokenEndpointAuthMethod = StoredCredential['tokenEndpointAuthMethod'];

/** The oauth4webapi client authentication for a method; the secret stays in this closure. */
export function clientAuthFor(method: TokenEndpointAuthMethod, secret: string | undefined): oauth.ClientAuth {
  if (method === 'none') return oauth.None();
  if (!secret) throw new Error(`token endpoint auth method ${method} needs a client secret`);
  return method === 'client_secret_basic' ? oauth.ClientSecretBasic(secret) : oauth.ClientSecretPost(secret);
}

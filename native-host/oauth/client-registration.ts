/**
 * Which client id a login uses: one the user configured (per server, else per issuer), else one
 * registered on the spot with RFC 7591 dynamic registration as a native public client. Google has
 * no registration endpoint, so its users configure a desktop client id and secret.
 */
import * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { configPath, findConfiguredClient, type HostConfig } from '../config';
import type { TokenEndpointAuthMethod } from './client-auth';
import { httpOptions, policyFor, type NetworkPolicy } from './http-options';

export interface FlowClient {
  clientId: string;
  clientSecret?: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** Scopes the configuration asks for instead of the discovered ones. */
  scopes?: string[];
}

export async function obtainClient(
  as: oauth.AuthorizationServer,
  serverUrl: string,
  redirectUri: string,
  scopes: string[],
  config: HostConfig,
  policy: NetworkPolicy = policyFor(serverUrl),
): Promise<FlowClient> {
  const match = findConfiguredClient(config, serverUrl, as.issuer);
  if (match.kind === 'not-enabled') {
    // Not a fallback to registration: the user chose their own client for this issuer, and the
    // server asking for it is one they have not said they trust with it.
    const origin = new URL(serverUrl).origin;
    throw new ProtocolError(
      ErrorCode.ClientNotEnabled,
      `${serverUrl} names ${as.issuer} as its authorization server, where you configured your own client (${match.client.clientId}), ` +
        `but this server is not among that client's "servers" in ${configPath()}. Any server can name ${as.issuer}; ` +
        `if you trust this one with your account there, add it: "servers": [${[...(match.client.servers ?? []), origin].map((s) => JSON.stringify(s)).join(', ')}]`,
    );
  }
  if (match.kind === 'client') {
    const configured = match.client;
    return {
      clientId: configured.clientId,
      ...(configured.clientSecret ? { clientSecret: configured.clientSecret } : {}),
      tokenEndpointAuthMethod: configured.tokenEndpointAuthMethod ?? (configured.clientSecret ? 'client_secret_post' : 'none'),
      ...(configured.scopes ? { scopes: configured.scopes } : {}),
    };
  }
  if (!as.registration_endpoint) {
    throw new ProtocolError(
      ErrorCode.NoClient,
      `${as.issuer} offers no dynamic client registration; add a client for it to ${configPath()}: ` +
        `{"clients": [{"issuer": "${as.issuer}", "servers": ["${new URL(serverUrl).origin}"], "clientId": "…", "clientSecret": "…"}]}`,
    );
  }
  const metadata = {
    client_name: 'MCP Login Bridge',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    ...(scopes.length ? { scope: scopes.join(' ') } : {}),
  };
  try {
    const response = await oauth.dynamicClientRegistrationRequest(as, metadata, httpOptions(as.registration_endpoint, policy));
    const registered = await oauth.processDynamicClientRegistrationResponse(response);
    const method = registered.token_endpoint_auth_method ?? 'none';
    if (method !== 'none' && method !== 'client_secret_post' && method !== 'client_secret_basic') {
      throw new Error(`the server registered us with token_endpoint_auth_method ${String(method)}, which we do not support`);
    }
    return {
      clientId: registered.client_id,
      ...(typeof registered.client_secret === 'string' ? { clientSecret: registered.client_secret } : {}),
      tokenEndpointAuthMethod: method,
    };
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(ErrorCode.RegistrationFailed, `dynamic client registration at ${as.issuer} failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Which client a login uses, in the MCP authorization spec's order:
 *
 * 1. one the user configured (per server, else per issuer with the server enabled);
 * 2. a Client ID Metadata Document: when the authorization server advertises
 *    `client_id_metadata_document_supported` and a document URL is configured for it (or for
 *    every issuer), that URL is the client_id; the server fetches the document itself;
 * 3. dynamic registration (RFC 7591) as a native public client: the client registered at an
 *    earlier login to this server is reused when it was registered by the same issuer and covers
 *    this redirect URI; otherwise a new one is registered, first with a port-less loopback redirect
 *    URI (RFC 8252 §7.3: valid for every port, so the next login can reuse it), and when the server
 *    refuses that, with this login's exact one;
 * 4. else an error that says what the user can configure.
 */
import * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { clientIdMetadataDocumentFor, configPath, findConfiguredClient, type HostConfig } from '../config';
import type { StoredCredential } from '../stores/credential';
import { portlessRedirectUri, registrationCoversRedirect, type StoredRegistration } from '../stores/stored-registration';
import type { TokenEndpointAuthMethod } from './client-auth';
import { httpOptions, policyFor, type NetworkPolicy } from './http-options';
import { oauthFailureText, printable } from './provider-error';

export interface FlowClient {
  clientId: string;
  clientSecret?: string;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** Scopes the configuration asks for instead of the discovered ones. */
  scopes?: string[];
  /** Where the client came from, for messages and for what is stored with the login. */
  source: 'configured' | 'metadata-document' | 'registered' | 'reused-registration';
  /** For a registered client: what the login stores so the next one can reuse it. */
  registration?: StoredRegistration;
}

export interface ObtainClientOptions {
  /** The login stored for this server, whose registered client may be reused. */
  previous?: StoredCredential | undefined;
  policy?: NetworkPolicy;
  now?: () => number;
}

export async function obtainClient(
  as: oauth.AuthorizationServer,
  serverUrl: string,
  redirectUri: string,
  scopes: string[],
  config: HostConfig,
  options: ObtainClientOptions = {},
): Promise<FlowClient> {
  const policy = options.policy ?? policyFor(serverUrl);
  const now = options.now ?? Date.now;
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
    // A client configured for one server and one authorization server is that server's only: when
    // the server now names another one, its id (and secret) are not sent there (the MCP spec's
    // authorization server binding).
    if (configured.issuer !== undefined && configured.issuer !== as.issuer) {
      throw new ProtocolError(
        ErrorCode.ConfiguredClientIssuerChanged,
        `${serverUrl} now names ${as.issuer} as its authorization server, but the client you configured for it (${configured.clientId}) ` +
          `is registered with ${configured.issuer}; it is not used with another authorization server. If the move is expected, ` +
          `configure a client registered with ${as.issuer} in ${configPath()} (or remove this one to use registration)`,
      );
    }
    return {
      clientId: configured.clientId,
      ...(configured.clientSecret ? { clientSecret: configured.clientSecret } : {}),
      tokenEndpointAuthMethod: configured.tokenEndpointAuthMethod ?? (configured.clientSecret ? 'client_secret_post' : 'none'),
      ...(configured.scopes ? { scopes: configured.scopes } : {}),
      source: 'configured',
    };
  }

  const cimdSupported = as.client_id_metadata_document_supported === true;
  const documentUrl = cimdSupported ? clientIdMetadataDocumentFor(config, as.issuer) : undefined;
  if (documentUrl) {
    // A public client: the document may hold no secret, and the server checks the redirect URI
    // against the document's redirect_uris.
    return { clientId: documentUrl, tokenEndpointAuthMethod: 'none', source: 'metadata-document' };
  }

  const reusable = reusableRegistration(options.previous, as.issuer, redirectUri, now());
  if (reusable) return reusable;

  if (!as.registration_endpoint) throw noClient(as, serverUrl, cimdSupported);
  return register(as, redirectUri, scopes, policy, now);
}

/** The client registered at the previous login to this server, if this login may use it. */
function reusableRegistration(previous: StoredCredential | undefined, issuer: string, redirectUri: string, now: number): FlowClient | undefined {
  const registration = previous?.registration;
  if (!previous || !registration) return undefined;
  // Bound to the issuer that registered it: never presented to another authorization server.
  if (registration.issuer !== issuer || previous.issuer !== issuer) return undefined;
  if (!registrationCoversRedirect(registration, redirectUri)) return undefined;
  if (registration.clientSecretExpiresAt !== undefined && registration.clientSecretExpiresAt <= now) return undefined;
  return {
    clientId: previous.clientId,
    ...(previous.clientSecret ? { clientSecret: previous.clientSecret } : {}),
    tokenEndpointAuthMethod: previous.tokenEndpointAuthMethod,
    source: 'reused-registration',
    registration,
  };
}

function noClient(as: oauth.AuthorizationServer, serverUrl: string, cimdSupported: boolean): ProtocolError {
  const origin = new URL(serverUrl).origin;
  const configured = `a client you registered there yourself: {"clients": [{"issuer": "${as.issuer}", "servers": ["${origin}"], "clientId": "…", "clientSecret": "…"}]}`;
  const document =
    `the URL where your organisation publishes a client ID metadata document (template: client-metadata/mcp-login-bridge.json): ` +
    `{"clientIdMetadataDocuments": [{"issuer": "${as.issuer}", "url": "https://…/mcp-login-bridge.json"}]}`;
  return new ProtocolError(
    ErrorCode.NoClient,
    cimdSupported
      ? `${as.issuer} offers no dynamic client registration, but accepts client ID metadata documents; add to ${configPath()} either ${document}, or ${configured}`
      : `${as.issuer} offers neither dynamic client registration nor client ID metadata documents; add to ${configPath()} ${configured}`,
  );
}

/** RFC 7591 error codes that mean "not these redirect URIs", after which the exact one is tried. */
const REDIRECT_REFUSED = new Set(['invalid_redirect_uri', 'invalid_client_metadata']);

async function register(
  as: oauth.AuthorizationServer,
  redirectUri: string,
  scopes: string[],
  policy: NetworkPolicy,
  now: () => number,
): Promise<FlowClient> {
  const portless = portlessRedirectUri(redirectUri);
  try {
    if (portless && portless !== redirectUri) {
      try {
        return await registerWith(as, [portless], scopes, policy, now);
      } catch (err) {
        if (!(err instanceof oauth.ResponseBodyError && err.status === 400 && REDIRECT_REFUSED.has(err.error))) throw err;
        // The server wants exact redirect URIs: this login's, registered for this login only.
      }
    }
    return await registerWith(as, [redirectUri], scopes, policy, now);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    const detail = oauthFailureText(err);
    throw new ProtocolError(ErrorCode.RegistrationFailed, `dynamic client registration at ${as.issuer} failed: ${detail}`, { cause: err });
  }
}

async function registerWith(
  as: oauth.AuthorizationServer,
  redirectUris: string[],
  scopes: string[],
  policy: NetworkPolicy,
  now: () => number,
): Promise<FlowClient> {
  const metadata = {
    client_name: 'MCP Login Bridge',
    redirect_uris: redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    // Required by the MCP authorization spec: OIDC servers default to "web", which refuses
    // loopback http redirect URIs and port-less matching.
    application_type: 'native',
    ...(scopes.length ? { scope: scopes.join(' ') } : {}),
  };
  const response = await oauth.dynamicClientRegistrationRequest(as, metadata, httpOptions(as.registration_endpoint!, policy));
  const registered = await oauth.processDynamicClientRegistrationResponse(response);
  const method = registered.token_endpoint_auth_method ?? 'none';
  if (method !== 'none' && method !== 'client_secret_post' && method !== 'client_secret_basic') {
    throw new Error(`the server registered us with token_endpoint_auth_method ${printable(String(method))}, which we do not support`);
  }
  // What the server says it registered (RFC 7591 §3.2.1: it may change what was asked for); a
  // response without the list registered what we sent.
  const echoed = Array.isArray(registered.redirect_uris) && registered.redirect_uris.every((u) => typeof u === 'string')
    ? (registered.redirect_uris as string[]).slice(0, 10)
    : redirectUris;
  const expiresAt = typeof registered.client_secret_expires_at === 'number' && registered.client_secret_expires_at > 0
    ? Math.floor(registered.client_secret_expires_at * 1000)
    : undefined;
  const registration: StoredRegistration = {
    issuer: as.issuer,
    redirectUris: echoed,
    registeredAt: now(),
    ...(expiresAt !== undefined && Number.isSafeInteger(expiresAt) ? { clientSecretExpiresAt: expiresAt } : {}),
  };
  return {
    clientId: registered.client_id,
    ...(typeof registered.client_secret === 'string' ? { clientSecret: registered.client_secret } : {}),
    tokenEndpointAuthMethod: method,
    source: 'registered',
    registration,
  };
}

/**
 * From an MCP server URL to the authorization server that protects it, as the MCP authorization
 * spec orders it: probe the server for its RFC 9728 challenge, read the protected resource
 * metadata (from `resource_metadata`, else the path-aware then the root well-known URL), then the
 * authorization server metadata (RFC 8414, then OpenID Connect discovery). Every document is
 * validated by oauth4webapi (resource and issuer must match what we asked for).
 *
 * Requests that do not depend on each other's answers go out together, so a login waits for two
 * round trips, not four: the probe with the path-aware resource metadata URL (where the challenge's
 * `resource_metadata` points on most servers), and RFC 8414 with OpenID Connect discovery. The
 * order of preference is the spec's; a request made ahead and not needed is dropped unread.
 */
import * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { assertServerUrl } from '../../shared/message-fields';
import { guardedFetch } from './guarded-fetch';
import { assertSecureEndpoints, assertSecureUrl, httpOptions, policyFor, type NetworkPolicy } from './http-options';

export interface DiscoveredServer {
  /** The RFC 8707 resource indicator for this server. */
  resource: string;
  /** Where the protected resource metadata came from, when there was one. */
  resourceMetadataUrl?: string;
  authorizationServer: oauth.AuthorizationServer;
  /** Scopes to request: the challenge's `scope` wins, else the resource's `scopes_supported`. */
  scopes: string[];
}

/** The challenge an unauthenticated request draws, if the server sends one. */
async function probeChallenge(serverUrl: URL, policy: NetworkPolicy): Promise<oauth.WWWAuthenticateChallenge | undefined> {
  // An MCP `initialize` without credentials: the server answers 401 with its challenge. The
  // customFetch drops the placeholder bearer token oauth4webapi insists on, so no credential is
  // sent; oauth4webapi then parses the WWW-Authenticate header for us. Only the status and headers
  // matter: the body is dropped unread (a server that needs no login may answer with an endless
  // event stream).
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'mcp-login-bridge', version: '0' } },
  });
  const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' });
  try {
    const response = await oauth.protectedResourceRequest('probe', 'POST', serverUrl, headers, body, {
      ...httpOptions(serverUrl, policy),
      [oauth.customFetch]: (url, init) => {
        const { authorization: _dropped, ...rest } = init.headers;
        return guardedFetch(policy, { readBody: false })(url, { ...init, body: body as string, headers: rest });
      },
    });
    await response.body?.cancel();
    return undefined;
  } catch (err) {
    if (err instanceof oauth.WWWAuthenticateChallengeError) {
      return err.cause.find((c) => c.scheme === 'bearer') ?? err.cause[0];
    }
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(
      ErrorCode.DiscoveryFailed,
      `could not reach the MCP server at ${serverUrl.href}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** RFC 9728 §3.1: the path-aware well-known URL first, then the root one. */
function wellKnownResourceMetadataUrls(serverUrl: URL): URL[] {
  const pathAware = new URL(serverUrl.origin);
  const path = serverUrl.pathname === '/' ? '' : serverUrl.pathname;
  pathAware.pathname = `/.well-known/oauth-protected-resource${path}`;
  return path ? [pathAware, new URL('/.well-known/oauth-protected-resource', serverUrl.origin)] : [pathAware];
}

/** A request made ahead of knowing it is needed: settled either way, so an unused one never rejects unhandled. */
type Prefetched = { url: string; answer: Promise<{ response: Response } | { error: unknown }> };

function fetchResourceMetadata(url: URL, policy: NetworkPolicy): Promise<Response> {
  return guardedFetch(policy)(url.href, {
    redirect: 'manual',
    signal: httpOptions(url, policy).signal,
    headers: { accept: 'application/json' },
  });
}

function prefetch(url: URL, policy: NetworkPolicy): Prefetched {
  return {
    url: url.href,
    answer: fetchResourceMetadata(url, policy).then(
      (response) => ({ response }),
      (error: unknown) => ({ error }),
    ),
  };
}

async function readResourceMetadata(
  serverUrl: URL,
  metadataUrl: string | undefined,
  policy: NetworkPolicy,
  ahead?: Prefetched,
): Promise<{ metadata: oauth.ResourceServer; url: string } | undefined> {
  const attempts: URL[] = metadataUrl
    ? [assertSecureUrl(metadataUrl, 'the challenge\'s "resource_metadata"', policy)]
    : wellKnownResourceMetadataUrls(serverUrl);
  for (const url of attempts) {
    const fetched = async () => {
      if (ahead?.url !== url.href) return fetchResourceMetadata(url, policy);
      const answer = await ahead.answer;
      if ('error' in answer) throw answer.error;
      return answer.response;
    };
    const response = await fetched().catch((err: Error) => {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError(ErrorCode.DiscoveryFailed, `protected resource metadata at ${url.href}: ${err.message}`);
    });
    if (response.status === 404 && !metadataUrl) {
      await response.body?.cancel();
      continue;
    }
    try {
      const metadata = await oauth.processResourceDiscoveryResponse(serverUrl, response);
      return { metadata, url: url.href };
    } catch (err) {
      throw new ProtocolError(
        describeMismatch(err) ? ErrorCode.IssuerMismatch : ErrorCode.DiscoveryFailed,
        `protected resource metadata at ${url.href} is not usable for ${serverUrl.href}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  return undefined;
}

function describeMismatch(err: unknown): boolean {
  return err instanceof oauth.OperationProcessingError && err.code === oauth.JSON_ATTRIBUTE_COMPARISON;
}

/**
 * RFC 8414 first, then OpenID Connect discovery. oauth4webapi checks that the document's `issuer`
 * equals the issuer we asked for, so a server cannot claim another provider's identity.
 */
export async function discoverAuthorizationServer(issuer: string, policy: NetworkPolicy = policyFor(issuer)): Promise<oauth.AuthorizationServer> {
  const issuerUrl = assertSecureUrl(issuer, 'the authorization server issuer', policy);
  let lastError: unknown;
  // Both at once; OpenID Connect's answer is read only when RFC 8414's is a 404.
  const requests = (['oauth2', 'oidc'] as const).map((algorithm) =>
    oauth.discoveryRequest(issuerUrl, { algorithm, ...httpOptions(issuerUrl, policy) }).then(
      (response) => ({ response }),
      (error: unknown) => ({ error }),
    ),
  );
  for (const request of requests) {
    let response: Response;
    try {
      const answer = await request;
      if ('error' in answer) throw answer.error;
      response = answer.response;
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError(ErrorCode.DiscoveryFailed, `could not reach the authorization server ${issuer}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      continue;
    }
    try {
      const as = await oauth.processDiscoveryResponse(issuerUrl, response);
      assertSecureEndpoints(as, policy);
      return as;
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      lastError = err;
      if (describeMismatch(err)) {
        throw new ProtocolError(
          ErrorCode.IssuerMismatch,
          `the authorization server metadata for ${issuer} names another issuer; refusing it (RFC 8414 §3.3)`,
          { cause: err },
        );
      }
    }
  }
  throw new ProtocolError(
    ErrorCode.DiscoveryFailed,
    `no authorization server metadata for ${issuer} (tried RFC 8414 and OpenID Connect discovery)${
      lastError ? `: ${(lastError as Error).message}` : ''
    }`,
  );
}

/**
 * The MCP authorization spec: a client MUST refuse to proceed when the metadata (RFC 8414 or OpenID
 * Connect) lacks `code_challenge_methods_supported`, and uses S256. Absent and "listed without
 * S256" get their own message, each naming the server and the field.
 */
export function assertPkceS256(as: oauth.AuthorizationServer): void {
  const methods: unknown = as.code_challenge_methods_supported;
  if (methods === undefined) {
    throw new ProtocolError(
      ErrorCode.PkceUnsupported,
      `the authorization server ${as.issuer} does not list "code_challenge_methods_supported" in its metadata, so it cannot be ` +
        'shown to support PKCE; the MCP authorization spec requires refusing it (its operator must add ["S256"] to the metadata)',
    );
  }
  if (!Array.isArray(methods) || !methods.includes('S256')) {
    const listed = Array.isArray(methods) ? methods.filter((m): m is string => typeof m === 'string').map((m) => JSON.stringify(m.slice(0, 40))).join(', ') : '';
    throw new ProtocolError(
      ErrorCode.PkceUnsupported,
      `the authorization server ${as.issuer} does not offer PKCE S256: its "code_challenge_methods_supported" is ${
        Array.isArray(methods) ? `[${listed}]` : 'not a list'
      }; the MCP authorization spec requires S256`,
    );
  }
}

export async function discoverServer(serverUrlText: string): Promise<DiscoveredServer> {
  // The same check the popup, the CLI and the protocol's parser made: a caller that skipped them
  // (a library user, a test) gets the same verdict here.
  const serverUrl = assertServerUrl(serverUrlText);
  const policy = policyFor(serverUrl);
  const ahead = prefetch(wellKnownResourceMetadataUrls(serverUrl)[0]!, policy);
  const challenge = await probeChallenge(serverUrl, policy);
  const metadataUrl = challenge?.parameters.resource_metadata;
  const prm = await readResourceMetadata(serverUrl, metadataUrl, policy, ahead);
  // Servers from before RFC 9728 (MCP 2025-03-26) are their own authorization server.
  const issuer = prm?.metadata.authorization_servers?.[0] ?? serverUrl.origin;
  if (typeof issuer !== 'string') throw new ProtocolError(ErrorCode.DiscoveryFailed, 'protected resource metadata "authorization_servers" must hold strings');
  const authorizationServer = await discoverAuthorizationServer(issuer, policy);

  assertPkceS256(authorizationServer);

  const challenged = challenge?.parameters.scope?.split(' ').filter(Boolean);
  const supported = Array.isArray(prm?.metadata.scopes_supported) ? (prm.metadata.scopes_supported as string[]) : [];
  return {
    resource: prm?.metadata.resource ?? serverUrl.href,
    resourceMetadataUrl: prm?.url,
    authorizationServer,
    scopes: challenged?.length ? challenged : supported,
  };
}

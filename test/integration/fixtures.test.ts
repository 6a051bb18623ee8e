/**
 * Self-tests for the two fixtures the end-to-end tests and the demo stand on: the Google-like
 * identity provider must hand out refresh tokens exactly under Google's rules, and the MCP server
 * must accept only tokens bound to its own URL.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGoogleLikeProvider, type GoogleLikeProvider, type ProviderOptions } from '../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../fixtures/mcp-server';
import { CookieJar, followToCallback } from '../helpers/redirect-follower';

interface AuthorizeOptions {
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  accessType?: string;
  prompt?: string;
  resource?: string;
  /** Reuse a browser (its session cookie); a fresh one by default. */
  jar?: CookieJar;
  pkce?: boolean;
}

interface AuthorizeResult {
  callback: URL;
  codeVerifier: string;
  redirectUri: string;
  /** Every URL the browser visited, the callback excluded. */
  visited: URL[];
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** Plays the browser: follows redirects (with cookies) until the provider sends it to the callback. */
async function authorize(provider: GoogleLikeProvider, options: AuthorizeOptions = {}): Promise<AuthorizeResult> {
  const jar = options.jar ?? new CookieJar();
  const redirectUri = options.redirectUri ?? `http://127.0.0.1:${40000 + Math.floor(Math.random() * 20000)}/callback`;
  const codeVerifier = randomBytes(32).toString('base64url');
  const url = new URL('/auth', provider.issuer);
  url.searchParams.set('client_id', options.clientId ?? provider.clientId);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', options.scope ?? 'openid email mcp:tools');
  url.searchParams.set('state', randomBytes(8).toString('hex'));
  if (options.pkce !== false) {
    url.searchParams.set('code_challenge', s256(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  if (options.accessType) url.searchParams.set('access_type', options.accessType);
  if (options.prompt) url.searchParams.set('prompt', options.prompt);
  if (options.resource) url.searchParams.set('resource', options.resource);

  const { callback, visited } = await followToCallback(url, redirectUri, jar);
  return { callback, codeVerifier, redirectUri, visited };
}

async function tokenRequest(provider: GoogleLikeProvider, params: Record<string, string>) {
  const response = await fetch(new URL('/token', provider.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: provider.clientId, client_secret: provider.clientSecret, ...params }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function exchangeCode(provider: GoogleLikeProvider, auth: AuthorizeResult, resource?: string) {
  const code = auth.callback.searchParams.get('code');
  expect(code, `callback carries an error: ${auth.callback.search}`).toBeTruthy();
  return tokenRequest(provider, {
    grant_type: 'authorization_code',
    code: code!,
    redirect_uri: auth.redirectUri,
    code_verifier: auth.codeVerifier,
    ...(resource ? { resource } : {}),
  });
}

async function refresh(provider: GoogleLikeProvider, refreshToken: string, resource?: string) {
  return tokenRequest(provider, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    ...(resource ? { resource } : {}),
  });
}

async function jwksFor(issuer: string) {
  const metadata = (await (await fetch(new URL('/.well-known/openid-configuration', issuer))).json()) as {
    jwks_uri: string;
  };
  return createRemoteJWKSet(new URL(metadata.jwks_uri));
}

function postInitialize(url: string, token?: string) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    }),
  });
}

const ACCESS_TOKEN_TTL = 900;
const started: Array<{ close(): Promise<void> }> = [];

async function startProvider(options: ProviderOptions = {}) {
  const provider = await startGoogleLikeProvider({ accessTokenTtlSeconds: ACCESS_TOKEN_TTL, ...options });
  started.push(provider);
  return provider;
}

afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

describe('Google-like provider', () => {
  let provider: GoogleLikeProvider;
  let mcp: McpServerFixture;

  beforeAll(async () => {
    provider = await startProvider();
    mcp = await startMcpServer({ issuer: provider.issuer });
    started.push(mcp);
  });

  it('publishes RFC 8414 and OIDC metadata with S256 only and no offline_access scope', async () => {
    expect(provider.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const response = await fetch(new URL(path, provider.issuer));
      expect(response.status, path).toBe(200);
      const metadata = (await response.json()) as Record<string, unknown>;
      expect(metadata.issuer).toBe(provider.issuer);
      expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
      expect(metadata.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile', 'mcp:tools']));
      expect(metadata.scopes_supported).not.toContain('offline_access');
      expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
      expect(metadata.registration_endpoint).toBeUndefined();
    }
  });

  it('issues a refresh token and an audience-bound JWT for access_type=offline with prompt=consent', async () => {
    const before = { ...provider.stats, authorizeRequests: provider.stats.authorizeRequests.length };
    const auth = await authorize(provider, { accessType: 'offline', prompt: 'consent', resource: mcp.url });
    // RFC 9207, and no page in between: authorize → interactions → resume → callback.
    expect(auth.callback.searchParams.get('iss')).toBe(provider.issuer);
    expect(auth.visited.every((u) => u.origin === provider.issuer)).toBe(true);

    const { status, body } = await exchangeCode(provider, auth, mcp.url);
    expect(status).toBe(200);
    expect(typeof body.refresh_token).toBe('string');
    expect(body.token_type).toBe('Bearer');

    const { payload, protectedHeader } = await jwtVerify(String(body.access_token), await jwksFor(provider.issuer), {
      issuer: provider.issuer,
      audience: mcp.url,
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.aud).toBe(mcp.url);
    expect(payload.sub).toBe('demo-user');
    expect(String(payload.scope).split(' ')).toEqual(expect.arrayContaining(['openid', 'email', 'mcp:tools']));
    expect(payload.exp! - payload.iat!).toBe(ACCESS_TOKEN_TTL);
    expect(body.expires_in).toBe(ACCESS_TOKEN_TTL);

    expect(provider.stats.authorizeRequests.length).toBe(before.authorizeRequests + 1);
    expect(provider.stats.authorizeRequests.at(-1)?.searchParams.get('access_type')).toBe('offline');
    expect(provider.stats.tokenRequests).toBe(before.tokenRequests + 1);
    expect(provider.stats.refreshTokensIssued).toBe(before.refreshTokensIssued + 1);
    expect(provider.stats.consents).toBe(before.consents + 1);
  });

  it('issues no refresh token without access_type=offline, even when consent runs', async () => {
    const consents = provider.stats.consents;
    const auth = await authorize(provider, { prompt: 'consent', resource: mcp.url });
    const { status, body } = await exchangeCode(provider, auth, mcp.url);
    expect(status).toBe(200);
    expect(provider.stats.consents).toBe(consents + 1);
    expect(body.access_token).toBeTruthy();
    expect(body).not.toHaveProperty('refresh_token');

    const online = await exchangeCode(provider, await authorize(provider, { accessType: 'online', prompt: 'consent' }));
    expect(online.status).toBe(200);
    expect(online.body).not.toHaveProperty('refresh_token');
  });

  it('rejects an unknown access_type and a request without PKCE', async () => {
    const bogus = await authorize(provider, { accessType: 'forever', prompt: 'consent' });
    expect(bogus.callback.searchParams.get('error')).toBe('invalid_request');
    expect(bogus.callback.searchParams.get('error_description')).toMatch(/access_type/);
    expect(bogus.callback.searchParams.get('code')).toBeNull();

    const noPkce = await authorize(provider, { accessType: 'offline', pkce: false });
    expect(noPkce.callback.searchParams.get('error')).toBe('invalid_request');
    expect(noPkce.callback.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('reuses an existing grant without consent, and so issues no new refresh token (like Google)', async () => {
    const browser = new CookieJar();
    const first = await exchangeCode(
      provider,
      await authorize(provider, { accessType: 'offline', prompt: 'consent', jar: browser }),
    );
    expect(typeof first.body.refresh_token).toBe('string');
    const consents = provider.stats.consents;

    // Same browser (session cookie) and a fresh browser (grant found by account + client).
    for (const jar of [browser, new CookieJar()]) {
      const again = await exchangeCode(provider, await authorize(provider, { accessType: 'offline', jar }));
      expect(again.status).toBe(200);
      expect(again.body.access_token).toBeTruthy();
      expect(again.body).not.toHaveProperty('refresh_token');
    }
    expect(provider.stats.consents).toBe(consents);
  });

  it('issues a refresh token on the very first grant even without prompt=consent', async () => {
    const fresh = await startProvider();
    const auth = await authorize(fresh, { accessType: 'offline', redirectUri: 'http://localhost:53682/callback' });
    const { status, body } = await exchangeCode(fresh, auth);
    expect(status).toBe(200);
    expect(typeof body.refresh_token).toBe('string');
    expect(fresh.stats.consents).toBe(1);
  });

  it('refreshes without rotating: new access token, no refresh_token field, old token keeps working', async () => {
    const issued = await exchangeCode(
      provider,
      await authorize(provider, { accessType: 'offline', prompt: 'consent', resource: mcp.url }),
      mcp.url,
    );
    const refreshToken = String(issued.body.refresh_token);
    const before = { refresh: provider.stats.refreshRequests, issued: provider.stats.refreshTokensIssued };

    const first = await refresh(provider, refreshToken, mcp.url);
    expect(first.status).toBe(200);
    expect(first.body).not.toHaveProperty('refresh_token');
    expect(first.body.access_token).not.toBe(issued.body.access_token);
    const { payload } = await jwtVerify(String(first.body.access_token), await jwksFor(provider.issuer), {
      issuer: provider.issuer,
      audience: mcp.url,
    });
    expect(payload.sub).toBe('demo-user');

    // Without `resource` the granted one is used, so MCP clients that omit it still get a JWT for it.
    const second = await refresh(provider, refreshToken);
    expect(second.status).toBe(200);
    expect(second.body).not.toHaveProperty('refresh_token');
    expect(decodeJwt(String(second.body.access_token)).aud).toBe(mcp.url);

    expect(provider.stats.refreshRequests).toBe(before.refresh + 2);
    expect(provider.stats.refreshTokensIssued).toBe(before.issued);

    const wrongResource = await refresh(provider, refreshToken, 'http://127.0.0.1:9/elsewhere');
    expect(wrongResource.status).toBe(400);
    expect(wrongResource.body.error).toBe('invalid_target');
  });

  it('accepts the client secret in an HTTP Basic header too', async () => {
    const auth = await authorize(provider, { accessType: 'offline', prompt: 'consent' });
    const response = await fetch(new URL('/token', provider.issuer), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(
          `${encodeURIComponent(provider.clientId)}:${encodeURIComponent(provider.clientSecret)}`,
        ).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: auth.callback.searchParams.get('code')!,
        redirect_uri: auth.redirectUri,
        code_verifier: auth.codeVerifier,
      }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Record<string, unknown>).refresh_token).toBeTruthy();

    const badSecret = await tokenRequest(provider, { grant_type: 'refresh_token', refresh_token: 'x', client_secret: 'wrong' });
    expect(badSecret.status).toBe(401);
    expect(badSecret.body.error).toBe('invalid_client');
  });
});

describe('rotating provider (Okta/Auth0-like)', () => {
  it('rotates on every refresh and revokes the whole family when an old token is reused', async () => {
    const provider = await startProvider({ rotateRefreshTokens: true });
    const resource = 'http://localhost:40123/mcp';
    const issued = await exchangeCode(
      provider,
      await authorize(provider, { accessType: 'offline', prompt: 'consent', resource }),
      resource,
    );
    const original = String(issued.body.refresh_token);

    const rotated = await refresh(provider, original, resource);
    expect(rotated.status).toBe(200);
    expect(typeof rotated.body.refresh_token).toBe('string');
    expect(rotated.body.refresh_token).not.toBe(original);
    expect(decodeJwt(String(rotated.body.access_token)).aud).toBe(resource);
    const current = String(rotated.body.refresh_token);

    const reuse = await refresh(provider, original, resource);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');

    const afterReuse = await refresh(provider, current, resource);
    expect(afterReuse.status).toBe(400);
    expect(afterReuse.body.error).toBe('invalid_grant');

    expect(provider.stats.refreshRequests).toBe(3);
    expect(provider.stats.refreshTokensIssued).toBe(2);
    expect(provider.stats.refreshTokenReuses).toBe(1);
    expect(provider.stats.grantsRevoked).toBe(1);
  });
});

describe('dynamic client registration', () => {
  it('is open only when asked for, and accepts a public native client on any loopback port', async () => {
    const provider = await startProvider({ registration: true });
    const metadata = (await (await fetch(new URL('/.well-known/oauth-authorization-server', provider.issuer))).json()) as {
      registration_endpoint?: string;
    };
    expect(metadata.registration_endpoint).toBeTruthy();

    const response = await fetch(metadata.registration_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        application_type: 'native',
        client_name: 'dcr test',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(response.status).toBe(201);
    const client = (await response.json()) as { client_id: string; client_secret?: string };
    expect(client.client_secret).toBeUndefined();

    const auth = await authorize(provider, {
      clientId: client.client_id,
      accessType: 'offline',
      redirectUri: 'http://127.0.0.1:45678/callback',
    });
    const token = await fetch(new URL('/token', provider.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: client.client_id,
        grant_type: 'authorization_code',
        code: auth.callback.searchParams.get('code')!,
        redirect_uri: auth.redirectUri,
        code_verifier: auth.codeVerifier,
      }),
    });
    expect(token.status).toBe(200);
    expect(((await token.json()) as Record<string, unknown>).refresh_token).toBeTruthy();
  });
});

describe('MCP server', () => {
  let provider: GoogleLikeProvider;
  let mcp: McpServerFixture;

  beforeAll(async () => {
    provider = await startProvider();
    mcp = await startMcpServer({ issuer: provider.issuer });
    started.push(mcp);
  });

  async function tokenFor(resource: string) {
    const { body } = await exchangeCode(provider, await authorize(provider, { accessType: 'offline', resource }), resource);
    return String(body.access_token);
  }

  it('publishes RFC 9728 metadata at the path-aware and the root location', async () => {
    expect(mcp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(mcp.resourceMetadataUrl).toBe(`${new URL(mcp.url).origin}/.well-known/oauth-protected-resource/mcp`);
    for (const url of [mcp.resourceMetadataUrl, `${new URL(mcp.url).origin}/.well-known/oauth-protected-resource`]) {
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      expect(await response.json()).toMatchObject({
        resource: mcp.url,
        authorization_servers: [provider.issuer],
        scopes_supported: ['openid', 'email', 'mcp:tools'],
      });
    }
  });

  it('answers 401 with resource_metadata when no token is sent', async () => {
    const before = mcp.stats.unauthorized;
    const response = await postInitialize(mcp.url);
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain(`resource_metadata="${mcp.resourceMetadataUrl}"`);
    expect(mcp.stats.unauthorized).toBe(before + 1);
  });

  it('runs whoami for a token bound to its URL, through the SDK client', async () => {
    const accessToken = await tokenFor(mcp.url);
    const client = new Client({ name: 'fixtures-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(mcp.url), {
      requestInit: { headers: { authorization: `Bearer ${accessToken}` } },
    });
    await client.connect(transport);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('whoami');
      const before = mcp.stats.toolCalls;
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.content)).toContain('demo-user');
      expect(mcp.stats.toolCalls).toBe(before + 1);
    } finally {
      await client.close();
    }
  });

  it('rejects a token for another audience, and tokens that are not JWTs for it', async () => {
    const before = mcp.stats.unauthorized;
    const toolCalls = mcp.stats.toolCalls;
    const otherAudience = await tokenFor(`${new URL(mcp.url).origin}/other`);
    expect(decodeJwt(otherAudience).aud).not.toBe(mcp.url);
    const wrong = await postInitialize(mcp.url, otherAudience);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');

    // Without `resource` the provider issues an opaque token for its own userinfo endpoint.
    const { body } = await exchangeCode(provider, await authorize(provider, { accessType: 'offline' }));
    const opaque = await postInitialize(mcp.url, String(body.access_token));
    expect(opaque.status).toBe(401);
    const idToken = await postInitialize(mcp.url, String(body.id_token));
    expect(idToken.status).toBe(401);

    expect(mcp.stats.unauthorized).toBe(before + 3);
    expect(mcp.stats.toolCalls).toBe(toolCalls);
  });
});

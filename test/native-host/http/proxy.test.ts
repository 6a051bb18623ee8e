/**
 * Corporate networks: every request the host makes for a login (the MCP server probe, discovery,
 * registration, the code exchange) and for a refresh goes through the proxy named by HTTP_PROXY /
 * HTTPS_PROXY, and none does when NO_PROXY covers the servers. The proxy is a real forwarding proxy
 * that records what it carries; the provider and the MCP server are the real fixtures.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { parseRule } from '../../../shared/providers';
import { EMPTY_CONFIG, type HostConfig } from '../../../native-host/config';
import { LoginService } from '../../../native-host/oauth/login-service';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import { refreshCredential } from '../../../native-host/oauth/refresh';
import type { CredentialTarget, StoredCredential } from '../../../native-host/stores/credential';
import { startForwardProxy, type ForwardProxy } from '../../fixtures/forward-proxy';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { followToCallback } from '../../helpers/redirect-follower';

class MemoryTarget implements CredentialTarget {
  readonly name = 'bridge' as const;
  readonly entries = new Map<string, StoredCredential>();
  describe() {
    return 'memory';
  }
  async read(serverUrl: string) {
    return this.entries.get(serverUrl);
  }
  async write(c: StoredCredential) {
    this.entries.set(c.serverUrl, c);
  }
  async delete(serverUrl: string) {
    return this.entries.delete(serverUrl);
  }
  async list() {
    return [...this.entries.values()];
  }
}

const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'] as const;

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let proxy: ForwardProxy;
const listener = new LoopbackListener();
let saved: Partial<Record<(typeof PROXY_VARS)[number], string>>;

beforeAll(async () => {
  // Open registration, so the login registers a client as with most MCP servers' own servers.
  provider = await startGoogleLikeProvider({ registration: true, accessTokenTtlSeconds: 3600 });
  mcp = await startMcpServer({ issuer: provider.issuer });
  proxy = await startForwardProxy();
});
afterAll(async () => {
  await listener.close();
  await proxy?.close();
  await mcp?.close();
  await provider?.close();
});
beforeEach(() => {
  saved = Object.fromEntries(PROXY_VARS.map((name) => [name, process.env[name]]));
  for (const name of PROXY_VARS) delete process.env[name];
  proxy.requests = [];
  proxy.refuseWith = 0;
});
afterEach(() => {
  for (const name of PROXY_VARS) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

function config(): HostConfig {
  return { ...EMPTY_CONFIG, rules: [parseRule({ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }, 'config')] };
}

async function logIn(): Promise<StoredCredential> {
  const store = new MemoryTarget();
  const login = new LoginService({ loadConfig: async () => config(), store, redirectUri: () => listener.redirectUri() });
  const begun = await login.begin(mcp.url);
  // The browser's part: not the host's, so not through the host's proxy.
  const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
  await login.complete(callback.href);
  return store.entries.get(mcp.url)!;
}

/** The stored login, due for a refresh. */
const expired = (credential: StoredCredential): StoredCredential => ({ ...credential, expiresAt: Date.now() - 1000 });

const hostOf = (url: string) => new URL(url).host;
const tunnels = () => proxy.requests.map((r) => `${r.method} ${r.target}`);

describe('with HTTP_PROXY and HTTPS_PROXY set', () => {
  it('sends discovery, registration, the code exchange and a refresh through the proxy, one tunnel per request', async () => {
    process.env.HTTP_PROXY = proxy.url;
    process.env.HTTPS_PROXY = proxy.url;
    const tokenRequestsBefore = provider.stats.tokenRequests;
    const stored = await logIn();
    expect(stored.refreshToken).toBeTruthy();
    expect(stored.tokenEndpoint).toMatch(new RegExp(`^${provider.issuer}/`));
    // The MCP server: the probe and its resource metadata; the provider: its metadata, the
    // registration and the code exchange. Nothing else, and nothing around the proxy.
    const toMcp = tunnels().filter((t) => t === `CONNECT ${hostOf(mcp.url)}`).length;
    const toProvider = tunnels().filter((t) => t === `CONNECT ${hostOf(provider.issuer)}`).length;
    expect(toMcp).toBeGreaterThanOrEqual(2);
    expect(toProvider).toBeGreaterThanOrEqual(3);
    expect(toMcp + toProvider).toBe(proxy.requests.length);
    expect(provider.stats.tokenRequests - tokenRequestsBefore).toBe(1);

    proxy.requests = [];
    const refreshed = await refreshCredential(expired(stored));
    expect(refreshed.accessToken).not.toBe(stored.accessToken);
    // One request: the token endpoint kept with the credential, no discovery.
    expect(tunnels()).toEqual([`CONNECT ${hostOf(provider.issuer)}`]);
  });

  it('needs the proxy for each step: discovery, the code exchange and the refresh fail while it refuses', async () => {
    process.env.HTTP_PROXY = proxy.url;
    const stored = await logIn();
    const store = new MemoryTarget();
    const login = new LoginService({ loadConfig: async () => config(), store, redirectUri: () => listener.redirectUri() });
    proxy.refuseWith = 403;
    await expect(login.begin(mcp.url)).rejects.toMatchObject({ code: ErrorCode.DiscoveryFailed });
    proxy.refuseWith = 0;
    const begun = await login.begin(mcp.url);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    const exchanges = provider.stats.tokenRequests;
    // The exchange's tunnel was opened through the proxy when the login began (the login's warm
    // connection): a proxy that refuses from now on must also cut the tunnels it carries, and the
    // exchange then needs a new one.
    await proxy.close();
    proxy = await startForwardProxy();
    proxy.refuseWith = 403;
    process.env.HTTP_PROXY = proxy.url;
    await expect(login.complete(callback.href)).rejects.toMatchObject({ code: ErrorCode.TokenExchangeFailed });
    await expect(refreshCredential(expired(stored))).rejects.toMatchObject({ code: ErrorCode.RefreshFailed });
    expect(provider.stats.tokenRequests).toBe(exchanges);
    expect(store.entries.size).toBe(0);
  });

  it('goes around the proxy for hosts in NO_PROXY', async () => {
    process.env.HTTP_PROXY = proxy.url;
    process.env.HTTPS_PROXY = proxy.url;
    process.env.NO_PROXY = 'example.test, 127.0.0.1';
    const stored = await logIn();
    await refreshCredential(expired(stored));
    expect(proxy.requests).toEqual([]);
  });

  it('names a proxy that refuses, and what to set', async () => {
    process.env.HTTP_PROXY = proxy.url;
    proxy.refuseWith = 403;
    const login = new LoginService({ loadConfig: async () => config(), store: new MemoryTarget(), redirectUri: () => listener.redirectUri() });
    const refused = await login.begin(mcp.url).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: ErrorCode.DiscoveryFailed });
    expect((refused as Error).message).toContain(`the proxy ${proxy.url} (HTTP_PROXY) refused to connect to ${hostOf(mcp.url)} (HTTP 403`);
    expect((refused as Error).message).toContain('NO_PROXY');

    proxy.refuseWith = 407;
    const auth = await login.begin(mcp.url).catch((e: unknown) => e);
    expect((auth as Error).message).toContain('HTTP 407');
    expect((auth as Error).message).toContain('http://user:password@proxy:port');
  });

  it('names a proxy that cannot be reached, without its password', async () => {
    const gone = await startForwardProxy();
    const address = new URL(gone.url);
    await gone.close();
    process.env.http_proxy = `http://corp-user:s3cret@${address.host}`;
    const login = new LoginService({ loadConfig: async () => config(), store: new MemoryTarget(), redirectUri: () => listener.redirectUri() });
    const failed = (await login.begin(mcp.url).catch((e: unknown) => e)) as Error;
    expect(failed.message).toContain(`could not reach the proxy http://${address.host} (http_proxy)`);
    expect(failed.message).not.toContain('s3cret');
  });
});

describe('the token endpoint kept with the credential', () => {
  it('a stored entry without it is discovered once, and the refreshed entry keeps it', async () => {
    process.env.HTTP_PROXY = proxy.url; // here only to count the requests
    const { tokenEndpoint, idTokenSigningAlgs: _algs, ...old } = await logIn();
    proxy.requests = [];
    const refreshed = await refreshCredential(expired(old));
    // The metadata (RFC 8414 and OpenID Connect discovery, together), then the token endpoint.
    expect(proxy.requests).toHaveLength(3);
    expect(refreshed.tokenEndpoint).toBe(tokenEndpoint);
    proxy.requests = [];
    await refreshCredential(expired(refreshed));
    expect(proxy.requests).toHaveLength(1);
  });

  it('an endpoint that moved (404) is discovered again, and the refresh goes to the new one', async () => {
    process.env.HTTP_PROXY = proxy.url;
    const stored = await logIn();
    const moved = `${provider.issuer}/old-token-endpoint`;
    proxy.requests = [];
    const refreshes = provider.stats.refreshRequests;
    const refreshed = await refreshCredential(expired({ ...stored, tokenEndpoint: moved }));
    // The old endpoint (404), the metadata (two requests together), the new endpoint; the
    // provider saw one refresh.
    expect(proxy.requests).toHaveLength(4);
    expect(provider.stats.refreshRequests - refreshes).toBe(1);
    expect(refreshed.tokenEndpoint).toBe(stored.tokenEndpoint);
  });

  it('a refused refresh is the provider verdict, not a move: no discovery', async () => {
    process.env.HTTP_PROXY = proxy.url;
    const stored = await logIn();
    proxy.requests = [];
    await expect(refreshCredential(expired({ ...stored, refreshToken: 'not-a-token-it-issued' }))).rejects.toMatchObject({ code: ErrorCode.LoginNeeded });
    expect(proxy.requests).toHaveLength(1);
  });
});

/**
 * The host's login flow against a real Google-like provider and a real MCP server, with an
 * in-memory credential target (the keychain store has its own tests; the browser path has the
 * end-to-end test). Every network peer here is real and on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol';
import { parseRule } from '../../../shared/providers';
import type { ClientLogins } from '../../../native-host/clients/client-logins';
import { EMPTY_CONFIG, type HostConfig } from '../../../native-host/config';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import { withRefreshLock } from '../../../native-host/stores/refresh-lock';
import { LoginService, type FlowSettled } from '../../../native-host/oauth/login-service';
import { refreshCredential } from '../../../native-host/oauth/refresh';
import type { CredentialTarget, StoredCredential } from '../../../native-host/stores/credential';
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

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
const listener = new LoopbackListener();

beforeAll(async () => {
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
});
afterAll(async () => {
  await listener.close();
  await mcp?.close();
  await provider?.close();
});

function googleLikeConfig(): HostConfig {
  return {
    ...EMPTY_CONFIG,
    rules: [parseRule({ id: 'fixture-google', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }, 'config')],
    clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
  };
}

function service(config: HostConfig, now?: () => number) {
  const store = new MemoryTarget();
  const login = new LoginService({ loadConfig: async () => config, store, redirectUri: () => listener.redirectUri(), ...(now ? { now } : {}) });
  return { store, login };
}

describe('LoginService with a Google-like provider', () => {
  it('logs in with the provider rule and stores a refresh-capable credential', async () => {
    const { store, login } = service(googleLikeConfig());
    const begun = await login.begin(mcp.url);
    const authorize = new URL(begun.authorizeUrl);
    expect(begun.issuer).toBe(provider.issuer);
    expect(begun.appliedRules).toEqual(['fixture-google']);
    expect(authorize.searchParams.get('access_type')).toBe('offline');
    expect(authorize.searchParams.get('prompt')).toBe('consent');
    expect(authorize.searchParams.get('resource')).toBe(mcp.url);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(begun.redirectUri);
    expect(authorize.searchParams.has('code_verifier')).toBe(false);

    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    expect(callback.searchParams.get('iss')).toBe(provider.issuer);
    const result = await login.complete(callback.href);
    expect(result).toMatchObject({ serverUrl: mcp.url, issuer: provider.issuer, refreshCapable: true });
    expect(result.warning).toBeUndefined();
    expect(JSON.stringify(result)).not.toMatch(/access_?token|refresh_?token/i);

    const stored = store.entries.get(mcp.url)!;
    expect(stored.refreshToken).toBeTruthy();
    expect(stored.issuer).toBe(provider.issuer);
    expect(stored.resource).toBe(mcp.url);
    expect(stored.expiresAt).toBeGreaterThan(Date.now());

    // The same callback again is refused: a code is redeemed at most once.
    await expect(login.complete(callback.href)).rejects.toMatchObject({ code: ErrorCode.StateAlreadyUsed });

    // The refresh keeps Google's rule: no refresh_token in the response, so the old one stays.
    const before = provider.stats.refreshRequests;
    const refreshed = await refreshCredential(stored);
    expect(provider.stats.refreshRequests).toBe(before + 1);
    expect(refreshed.accessToken).not.toBe(stored.accessToken);
    expect(refreshed.refreshToken).toBe(stored.refreshToken);
  });

  it('without the rule gets no refresh token and says which rule would fix it', async () => {
    const { store, login } = service({ ...googleLikeConfig(), rules: [] });
    const begun = await login.begin(mcp.url);
    expect(new URL(begun.authorizeUrl).searchParams.has('access_type')).toBe(false);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    const result = await login.complete(callback.href);
    expect(result.refreshCapable).toBe(false);
    expect(result.warning).toMatchObject({ code: ErrorCode.NoRefreshToken });
    expect(result.warning!.message).toContain('access_type');
    expect(result.warning!.message).toContain(new URL(provider.issuer).origin);
    expect(store.entries.get(mcp.url)?.refreshToken).toBeUndefined();
  });

  it('refuses a callback whose iss is another issuer, and writes nothing', async () => {
    const { store, login } = service(googleLikeConfig());
    const begun = await login.begin(mcp.url);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    callback.searchParams.set('iss', 'https://attacker.example');
    await expect(login.complete(callback.href)).rejects.toMatchObject({ code: ErrorCode.IssuerResponseMismatch });
    expect(store.entries.size).toBe(0);
  });

  it('refuses an expired flow', async () => {
    let now = Date.now();
    const { store, login } = service(googleLikeConfig(), () => now);
    const begun = await login.begin(mcp.url);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    now += LIMITS.flowTtlMs + 1;
    await expect(login.complete(callback.href)).rejects.toMatchObject({ code: ErrorCode.StateExpired });
    expect(store.entries.size).toBe(0);
  });

  it('refuses a callback to another redirect URI', async () => {
    const { login } = service(googleLikeConfig());
    const begun = await login.begin(mcp.url);
    const forged = new URL(begun.redirectUri.replace('/callback', '/other'));
    forged.searchParams.set('state', begun.state);
    forged.searchParams.set('code', 'x');
    await expect(login.complete(forged.href)).rejects.toMatchObject({ code: ErrorCode.InvalidCallback });
  });

  it('reports the provider\'s error when the user denies', async () => {
    const { login } = service(googleLikeConfig());
    const begun = await login.begin(mcp.url);
    const denied = new URL(begun.redirectUri);
    denied.search = new URLSearchParams({ error: 'access_denied', error_description: 'user said no', state: begun.state, iss: provider.issuer }).toString();
    await expect(login.complete(denied.href)).rejects.toMatchObject({ code: ErrorCode.AuthorizationDenied, message: expect.stringContaining('access_denied') });
  });

  it("refuses a server that names the provider but is not among the configured client's servers", async () => {
    // Another MCP server, on another origin, pointing at the same provider: it would get tokens
    // made with the user's own client (and its secret) just by naming the issuer.
    const other = await startMcpServer({ issuer: provider.issuer });
    try {
      const { store, login } = service(googleLikeConfig());
      const refusal = login.begin(other.url);
      await expect(refusal).rejects.toMatchObject({ code: ErrorCode.ClientNotEnabled });
      const message = await refusal.catch((e: Error) => e.message);
      expect(message).toContain(`"servers": [${JSON.stringify(mcp.url)}, ${JSON.stringify(new URL(other.url).origin)}]`);
      expect(message).not.toContain(provider.clientSecret);
      expect(provider.stats.authorizeRequests.filter((u) => u.searchParams.get('resource') === other.url)).toEqual([]);
      expect(await store.list()).toEqual([]);
      // Listed by its origin, the same server may use the client.
      const allowed = service({ ...googleLikeConfig(), clients: [{ ...googleLikeConfig().clients[0]!, servers: [new URL(other.url).origin] }] });
      await expect(allowed.login.begin(other.url)).resolves.toMatchObject({ issuer: provider.issuer });
    } finally {
      await other.close();
    }
  });

  it("stores a login only while holding the server's refresh lock, so a refresh in flight cannot overwrite it", async () => {
    const { store, login } = service(googleLikeConfig());
    const begun = await login.begin(mcp.url);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    let completed: Promise<unknown> | undefined;
    // A `token` of another process holds the lock (the real one, a file lock) while it refreshes.
    await withRefreshLock(mcp.url, async () => {
      completed = login.complete(callback.href);
      await new Promise((r) => setTimeout(r, 700));
      expect(await store.list(), 'nothing written while the lock is held').toEqual([]);
    });
    await completed;
    expect((await store.read(mcp.url))?.refreshToken).toBeTruthy();
  });

  it("reads which clients have the server configured when the flow begins, not between the code exchange and the write", async () => {
    const steps: string[] = [];
    const discovery = { servers: [], problems: [] };
    const clients = {
      discover: vi.fn(async () => (steps.push('discover'), discovery)),
      write: vi.fn(async (_credential: unknown, _context: unknown, discovered: Promise<unknown>) => {
        steps.push('write');
        expect(await discovered).toBe(discovery);
        return { stored: [], notices: [] };
      }),
    } as unknown as ClientLogins;
    const store = new MemoryTarget();
    const login = new LoginService({ loadConfig: async () => googleLikeConfig(), store, clients, redirectUri: () => listener.redirectUri() });
    const begun = await login.begin(mcp.url);
    expect(steps).toEqual(['discover']);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    await login.complete(callback.href);
    expect(steps).toEqual(['discover', 'write']);
    expect((await store.read(mcp.url))?.refreshToken).toBeTruthy();
  });

  it('refuses a server URL with a user name or password before any request, without echoing it', async () => {
    const { store, login } = service(googleLikeConfig());
    const withPassword = new URL(mcp.url);
    withPassword.username = 'me';
    withPassword.password = 'hunter2';
    const before = provider.stats.authorizeRequests.length;
    const refusal = login.begin(withPassword.href);
    await expect(refusal).rejects.toMatchObject({ code: ErrorCode.InvalidField, message: expect.stringContaining('user name or password') });
    expect(await refusal.catch((e: Error) => e.message)).not.toContain('hunter2');
    expect(provider.stats.authorizeRequests.length).toBe(before);
    expect(await store.list()).toEqual([]);
  });

  it('asks for a configured client when the provider has no registration endpoint', async () => {
    const { login } = service(EMPTY_CONFIG);
    await expect(login.begin(mcp.url)).rejects.toMatchObject({ code: ErrorCode.NoClient, message: expect.stringContaining(provider.issuer) });
  });
});

/** Every settled event `login` sends, in order. */
function settledEvents(login: LoginService): FlowSettled[] {
  const events: FlowSettled[] = [];
  login.onSettled((event) => events.push(event));
  return events;
}

describe('LoginService: pending flows, cancel and the settled event', () => {
  it('counts waiting flows; cancel forgets one silently, and its callback is then unknown', async () => {
    const { store, login } = service(googleLikeConfig());
    const events = settledEvents(login);
    expect(login.pendingCount()).toBe(0);
    const first = await login.begin(mcp.url);
    const second = await login.begin(mcp.url);
    expect(login.pendingCount()).toBe(2);
    const { callback } = await followToCallback(first.authorizeUrl, first.redirectUri);
    expect(login.cancel(first.state)).toBe(true);
    expect(login.cancel(first.state), 'a flow is cancelled once').toBe(false);
    expect(login.pendingCount()).toBe(1);
    await expect(login.complete(callback.href, 'extension')).rejects.toMatchObject({ code: ErrorCode.UnknownState });
    expect(events, 'a cancelled flow ends without an event').toEqual([]);
    expect(store.entries.size).toBe(0);
    expect(login.pendingCount()).toBe(1);
    expect(login.cancel(second.state)).toBe(true);
    expect(login.pendingCount()).toBe(0);
  });

  it('does not count an expired flow as pending', async () => {
    let now = Date.now();
    const { login } = service(googleLikeConfig(), () => now);
    await login.begin(mcp.url);
    expect(login.pendingCount()).toBe(1);
    now += LIMITS.flowTtlMs + 1;
    expect(login.pendingCount()).toBe(0);
  });

  it('sends one event per flow, with its result and who brought the callback; a repeated callback sends none', async () => {
    const { login } = service(googleLikeConfig());
    const events = settledEvents(login);
    const begun = await login.begin(mcp.url);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    const result = await login.complete(callback.href, 'loopback');
    expect(events).toEqual([{ state: begun.state, via: 'loopback', outcome: { result } }]);
    await expect(login.complete(callback.href, 'extension')).rejects.toMatchObject({ code: ErrorCode.StateAlreadyUsed });
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toMatch(/access_?token|refresh_?token|code_verifier/i);
  });

  it('sends the error that ended a flow; a pasted callback (no carrier) has no via', async () => {
    const { login } = service(googleLikeConfig());
    const events = settledEvents(login);
    const begun = await login.begin(mcp.url);
    const denied = new URL(begun.redirectUri);
    denied.search = new URLSearchParams({ error: 'access_denied', state: begun.state, iss: provider.issuer }).toString();
    await expect(login.complete(denied.href)).rejects.toMatchObject({ code: ErrorCode.AuthorizationDenied });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ state: begun.state, outcome: { error: { code: ErrorCode.AuthorizationDenied } } });
    expect(events[0]).not.toHaveProperty('via');
  });

  it('sends nothing for a callback without a state, or with a state it never issued', async () => {
    const { login } = service(googleLikeConfig());
    const events = settledEvents(login);
    await login.begin(mcp.url);
    await expect(login.complete('not a url', 'extension')).rejects.toMatchObject({ code: ErrorCode.InvalidCallback });
    await expect(login.complete('http://127.0.0.1:1/callback?code=c', 'extension')).rejects.toMatchObject({ code: ErrorCode.InvalidCallback });
    await expect(login.complete('http://127.0.0.1:1/callback?code=c&state=forged', 'loopback')).rejects.toMatchObject({ code: ErrorCode.UnknownState });
    expect(events).toEqual([]);
  });

  it('tells a flow called off at once, and its later callback gets the same error without a second event', async () => {
    const { login } = service(googleLikeConfig());
    const events = settledEvents(login);
    const begun = await login.begin(mcp.url);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    const reason = new ProtocolError(ErrorCode.LoginLinkReused, 'called off');
    login.callOff(begun.state, reason);
    login.callOff(begun.state, reason);
    expect(events).toEqual([{ state: begun.state, outcome: { error: reason } }]);
    expect(login.pendingCount()).toBe(0);
    await expect(login.complete(callback.href, 'loopback')).rejects.toBe(reason);
    expect(events).toHaveLength(1);
  });

  it('onceSettled hears only its own flow, once; a listener that throws fails neither the login nor the others', async () => {
    const { store, login } = service(googleLikeConfig());
    const other = await login.begin(mcp.url);
    const begun = await login.begin(mcp.url);
    const heard: unknown[] = [];
    login.onSettled(() => {
      throw new Error('a broken listener');
    });
    login.onceSettled(begun.state, (outcome) => heard.push(outcome));
    const removed: unknown[] = [];
    login.onceSettled(begun.state, (outcome) => removed.push(outcome))();
    login.callOff(other.state, new ProtocolError(ErrorCode.LoginLinkReused, 'called off'));
    expect(heard).toEqual([]);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    const result = await login.complete(callback.href, 'extension');
    expect(heard).toEqual([{ result }]);
    expect(removed, 'a removed listener hears nothing').toEqual([]);
    expect(store.entries.get(mcp.url)?.refreshToken).toBeTruthy();
  });
});

describe('LoginService with dynamic registration', () => {
  it('registers a native public client and logs in', async () => {
    const open = await startGoogleLikeProvider({ registration: true });
    const server = await startMcpServer({ issuer: open.issuer });
    try {
      const rules = [parseRule({ id: 'fixture', origins: [open.issuer], params: { access_type: 'offline', prompt: 'consent' } }, 'config')];
      const { store, login } = service({ ...EMPTY_CONFIG, rules });
      const begun = await login.begin(server.url);
      const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
      const result = await login.complete(callback.href);
      expect(result.refreshCapable).toBe(true);
      const stored = store.entries.get(server.url)!;
      expect(stored.tokenEndpointAuthMethod).toBe('none');
      expect(stored.clientId).not.toBe(open.clientId);
    } finally {
      await server.close();
      await open.close();
    }
  });
});

/** A hostile or broken server: serves whatever metadata the test gives it. */
async function metadataServer(documents: (origin: string) => Record<string, unknown>): Promise<{ origin: string; close(): Promise<void> }> {
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url!, origin).pathname;
    const docs = documents(origin);
    if (req.method === 'POST' && path === '/mcp') {
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"` }).end();
      return;
    }
    const doc = docs[path];
    if (!doc) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise((r) => server.close(() => r())) };
}

describe('discovery refuses bad metadata', () => {
  const prm = (origin: string, issuer: string) => ({ resource: `${origin}/mcp`, authorization_servers: [issuer] });
  const asMeta = (issuer: string, extra: Record<string, unknown> = {}) => ({
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    code_challenge_methods_supported: ['S256'],
    response_types_supported: ['code'],
    ...extra,
  });

  it('an authorization server whose metadata names another issuer', async () => {
    const s = await metadataServer((o) => ({
      '/.well-known/oauth-protected-resource/mcp': prm(o, o),
      '/.well-known/oauth-authorization-server': asMeta('https://accounts.google.com'),
    }));
    try {
      await expect(service(EMPTY_CONFIG).login.begin(`${s.origin}/mcp`)).rejects.toMatchObject({ code: ErrorCode.IssuerMismatch });
    } finally {
      await s.close();
    }
  });

  it('a loopback issuer whose token endpoint is plain http on another host', async () => {
    const s = await metadataServer((o) => ({
      '/.well-known/oauth-protected-resource/mcp': prm(o, o),
      '/.well-known/oauth-authorization-server': asMeta(o, { token_endpoint: 'http://tokens.example.com/token' }),
    }));
    try {
      await expect(service(EMPTY_CONFIG).login.begin(`${s.origin}/mcp`)).rejects.toMatchObject({
        code: ErrorCode.InsecureEndpoint,
        message: expect.stringContaining('token_endpoint'),
      });
    } finally {
      await s.close();
    }
  });

  it('protected resource metadata for another resource', async () => {
    const s = await metadataServer((o) => ({
      '/.well-known/oauth-protected-resource/mcp': { resource: 'https://elsewhere.example/mcp', authorization_servers: [o] },
    }));
    try {
      await expect(service(EMPTY_CONFIG).login.begin(`${s.origin}/mcp`)).rejects.toMatchObject({ code: ErrorCode.IssuerMismatch });
    } finally {
      await s.close();
    }
  });

  it('an authorization server without PKCE S256', async () => {
    const s = await metadataServer((o) => ({
      '/.well-known/oauth-protected-resource/mcp': prm(o, o),
      '/.well-known/oauth-authorization-server': asMeta(o, { code_challenge_methods_supported: ['plain'] }),
    }));
    try {
      await expect(service(EMPTY_CONFIG).login.begin(`${s.origin}/mcp`)).rejects.toMatchObject({ code: ErrorCode.PkceUnsupported });
    } finally {
      await s.close();
    }
  });
});

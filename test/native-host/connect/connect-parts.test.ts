/**
 * connect's parts in-process: the token source and the authorizing fetch against the real
 * Google-like provider (refreshes counted there) with an in-memory store and a stand-in server
 * answer; the step-up bounds; the challenge parser; the bridge's `scopes` field.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBridgeRequest } from '../../../shared/bridge-protocol';
import { ProtocolError } from '../../../shared/errors';
import type { HeldCopies, WithClientCopies } from '../../../native-host/credentials/client-copies';
import { validAccessToken } from '../../../native-host/credentials/access-token';
import { authorizedFetch, bearerChallenge } from '../../../native-host/connect/authorized-fetch';
import { ConnectError } from '../../../native-host/connect/rpc-errors';
import { StepUp, union } from '../../../native-host/connect/step-up';
import { TokenSource } from '../../../native-host/connect/token-source';
import type { CredentialTarget, StoredCredential } from '../../../native-host/stores/credential';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { loginToFixture } from '../../helpers/fixture-login';

class MemoryStore implements CredentialTarget {
  readonly name = 'bridge' as const;
  constructor(public entry: StoredCredential | undefined) {}
  describe() {
    return 'memory';
  }
  async read() {
    return this.entry;
  }
  async write(c: StoredCredential) {
    this.entry = c;
  }
  async delete() {
    return true;
  }
  async list() {
    return this.entry ? [this.entry] : [];
  }
}

const noCopies: WithClientCopies = async <T>(_url: string, fn: (held: HeldCopies) => Promise<T>): Promise<T> => fn({ copies: [], warnings: [] });

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let dataHome: string;
const savedXdg = process.env.XDG_DATA_HOME;

beforeAll(async () => {
  // The refresh lock lives under the data dir: a private one.
  dataHome = await mkdtemp(join(tmpdir(), 'mlb-connect-parts-'));
  process.env.XDG_DATA_HOME = dataHome;
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  if (savedXdg === undefined) delete process.env.XDG_DATA_HOME;
  else process.env.XDG_DATA_HOME = savedXdg;
  await rm(dataHome, { recursive: true, force: true });
});

async function source(store?: MemoryStore, login?: () => Promise<void>) {
  const s = store ?? new MemoryStore(await loginToFixture(provider, mcp.url, { configuredClient: true }));
  const tokens = new TokenSource(mcp.url, s, { warn: () => undefined, accessTokenOptions: { clientCopies: noCopies }, ...(login ? { login } : {}) });
  return { store: s, tokens };
}

/** A stand-in server: answers each request from `answer(token, n)`, recording the tokens it got. */
function server(answer: (token: string, n: number) => Response) {
  const tokens: string[] = [];
  const fetch = async (_url: string | URL, init?: RequestInit) => {
    const token = new Headers(init?.headers).get('authorization')!.replace(/^Bearer /, '');
    tokens.push(token);
    return answer(token, tokens.length);
  };
  return { fetch, tokens };
}

describe('validAccessToken with a refused token', () => {
  it('refreshes a token the server refused although it is outside the margin, once', async () => {
    const { store } = await source();
    const first = store.entry!;
    const before = provider.stats.refreshRequests;
    const { credential, refreshed } = await validAccessToken(store, mcp.url, { clientCopies: noCopies, refused: first.accessToken });
    expect(refreshed).toBe(true);
    expect(credential.accessToken).not.toBe(first.accessToken);
    expect(provider.stats.refreshRequests - before).toBe(1);
    // Refused again, but the store already holds another token: that one, no refresh.
    const again = await validAccessToken(store, mcp.url, { clientCopies: noCopies, refused: first.accessToken });
    expect(again.refreshed).toBe(false);
    expect(again.credential.accessToken).toBe(credential.accessToken);
    expect(provider.stats.refreshRequests - before).toBe(1);
  });
});

describe('TokenSource', () => {
  it('keeps a valid token in memory, and refreshes once for every caller inside the margin', async () => {
    const { store, tokens } = await source();
    const first = await tokens.token();
    store.entry = { ...store.entry!, expiresAt: Date.now() + 30_000 };
    // The in-memory copy still says an hour: no store read, no refresh.
    expect(await tokens.token()).toBe(first);
    tokens.forget();
    const before = provider.stats.refreshRequests;
    const all = await Promise.all(Array.from({ length: 20 }, () => tokens.token()));
    expect(new Set(all).size).toBe(1);
    expect(all[0]).not.toBe(first);
    expect(provider.stats.refreshRequests - before).toBe(1);
  });

  it('no login: starts one (once for all callers), else fails with the login command', async () => {
    const empty = new MemoryStore(undefined);
    const none = await source(empty);
    const error = await none.tokens.token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).kind).toBe('not-logged-in');
    expect((error as ConnectError).message).toContain(`run: mcp-login-bridge login ${mcp.url}`);

    let logins = 0;
    const withLogin = await source(new MemoryStore(undefined), async () => {
      logins += 1;
      withLogin.store.entry = await loginToFixture(provider, mcp.url, { configuredClient: true });
    });
    const all = await Promise.all(Array.from({ length: 5 }, () => withLogin.tokens.token()));
    expect(new Set(all).size).toBe(1);
    expect(logins).toBe(1);
  });

  it('logins that do not finish: an error naming the login command each time, and no browser after the third', async () => {
    let logins = 0;
    const { tokens } = await source(new MemoryStore(undefined), async () => {
      logins += 1;
      throw new Error('no login finished within 300 s');
    });
    for (let i = 0; i < 5; i += 1) {
      const error = await tokens.token().catch((e: unknown) => e);
      expect((error as ConnectError).kind).toBe('not-logged-in');
      expect((error as ConnectError).message).toContain(`run: mcp-login-bridge login ${mcp.url}`);
    }
    expect(logins).toBe(3);
  });

  it('a login marked dead is a login-needed error, and the next request reads the store again', async () => {
    const { store, tokens } = await source();
    const good = store.entry!;
    store.entry = { ...good, loginNeeded: true };
    const error = await tokens.token().catch((e: unknown) => e);
    expect((error as ConnectError).kind).toBe('login-needed');
    store.entry = good;
    expect(await tokens.token()).toBe(good.accessToken);
  });
});

describe('authorizedFetch', () => {
  it('401: one refresh, one retry with the new token', async () => {
    const { store, tokens } = await source();
    const old = store.entry!.accessToken;
    const s = server((token) => new Response(token === old ? 'no' : 'ok', { status: token === old ? 401 : 200 }));
    const before = provider.stats.refreshRequests;
    const response = await authorizedFetch({ tokens, base: s.fetch })(mcp.url, { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    expect(s.tokens).toEqual([old, store.entry!.accessToken]);
    expect(provider.stats.refreshRequests - before).toBe(1);
  });

  it('401 after the refresh too: an unauthorized error, no second refresh', async () => {
    const { tokens } = await source();
    const s = server(() => new Response('no', { status: 401 }));
    const before = provider.stats.refreshRequests;
    const error = await authorizedFetch({ tokens, base: s.fetch })(mcp.url, { method: 'POST' }).catch((e: unknown) => e);
    expect((error as ConnectError).kind).toBe('unauthorized');
    expect(s.tokens).toHaveLength(2);
    expect(provider.stats.refreshRequests - before).toBe(1);
  });

  it('403 insufficient_scope: a step-up login with the union of scopes, then the retry', async () => {
    const { store, tokens } = await source();
    const granted = store.entry!.scope;
    const asked: string[][] = [];
    const stepUp = new StepUp(async (scopes) => {
      asked.push(scopes);
      store.entry = { ...store.entry!, accessToken: 'stepped-up', scope: scopes.join(' ') };
    });
    const challenge = 'Bearer error="insufficient_scope", scope="files:write profile", resource_metadata="http://127.0.0.1/x"';
    const s = server((token) => (token === 'stepped-up' ? new Response('ok') : new Response('', { status: 403, headers: { 'www-authenticate': challenge } })));
    const response = await authorizedFetch({ tokens, stepUp, base: s.fetch })(mcp.url, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(asked).toEqual([union(granted, 'files:write profile')]);
    expect(asked[0]).toEqual(expect.arrayContaining([...granted.split(' '), 'files:write', 'profile']));
  });

  it('403 insufficient_scope that logins do not cure: bounded, then an error; without step-up at once', async () => {
    const { tokens } = await source();
    let logins = 0;
    const stepUp = new StepUp(async () => void (logins += 1), 2);
    const s = server(() => new Response('', { status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="admin"' } }));
    const error = await authorizedFetch({ tokens, stepUp, base: s.fetch })(mcp.url, { method: 'POST' }).catch((e: unknown) => e);
    expect((error as ConnectError).kind).toBe('insufficient-scope');
    expect(logins).toBe(2);
    const noLogin = await authorizedFetch({ tokens, base: s.fetch })(mcp.url, { method: 'POST' }).catch((e: unknown) => e);
    expect((noLogin as ConnectError).kind).toBe('insufficient-scope');
    expect((noLogin as ConnectError).message).toContain('"admin"');
  });

  it('a 403 without insufficient_scope is the server\'s answer, passed on', async () => {
    const { tokens } = await source();
    const s = server(() => new Response('forbidden', { status: 403, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }));
    expect((await authorizedFetch({ tokens, base: s.fetch })(mcp.url, {})).status).toBe(403);
  });
});

describe('challenge and scopes', () => {
  it('reads Bearer challenge parameters, quoted or not; nothing from other schemes', () => {
    const r = (h: string) => bearerChallenge(new Response('', { headers: { 'www-authenticate': h } }));
    expect(r('Bearer error="insufficient_scope", scope="a b"')).toEqual({ error: 'insufficient_scope', scope: 'a b' });
    expect(r('bearer realm="x",error=insufficient_scope,scope=a')).toEqual({ error: 'insufficient_scope', scope: 'a' });
    expect(r('Basic realm="x", error="insufficient_scope"')).toEqual({});
  });

  it('union: each scope once, in a stable order', () => {
    expect(union('openid email', 'email profile')).toEqual(['email', 'openid', 'profile']);
  });

  it('step-up logins for the same scopes run once at a time', async () => {
    let logins = 0;
    let release!: () => void;
    const stepUp = new StepUp(() => new Promise<void>((r) => ((logins += 1), (release = r))), 2);
    const both = Promise.all([stepUp.request('a', 'b'), stepUp.request('a', 'b')]);
    await new Promise((r) => setTimeout(r, 10));
    release();
    expect(await both).toEqual([true, true]);
    expect(logins).toBe(1);
  });

  it('the bridge login request carries scope tokens, and refuses what is not one', () => {
    expect(parseBridgeRequest({ id: '1', type: 'login', serverUrl: 'https://x.example/mcp', scopes: ['openid', 'mcp:tools', 'openid'] })).toEqual({
      id: '1',
      type: 'login',
      serverUrl: 'https://x.example/mcp',
      scopes: ['openid', 'mcp:tools'],
    });
    for (const scopes of [['a b'], ['a"b'], 'openid', [1]]) {
      expect(() => parseBridgeRequest({ id: '1', type: 'login', serverUrl: 'https://x.example/mcp', scopes })).toThrow(ProtocolError);
    }
  });
});

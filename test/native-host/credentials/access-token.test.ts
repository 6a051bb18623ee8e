/**
 * validAccessToken in-process against the fixture provider, with an in-memory bridge store that can
 * be made to fail and in-memory client copies: what happens to a rotated refresh token when our
 * store refuses it, and how many refreshes concurrent callers cause.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { validAccessToken } from '../../../native-host/credentials/access-token';
import type { HeldCopies, WithClientCopies } from '../../../native-host/credentials/client-copies';
import type { HeldLock } from '../../../native-host/stores/held-lock';
import type { WithRefreshLock } from '../../../native-host/stores/refresh-lock';
import type { ClientCopy } from '../../../native-host/credentials/rotation-sync';
import { refreshCredential } from '../../../native-host/oauth/refresh';
import type { CredentialTarget, StoredCredential } from '../../../native-host/stores/credential';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { loginToFixture } from '../../helpers/fixture-login';

/** The bridge store in memory; `failWrites` refuses that many writes first, as a locked keychain would. */
class MemoryStore implements CredentialTarget {
  readonly name = 'bridge' as const;
  entry: StoredCredential | undefined;
  failWrites = 0;
  writes = 0;
  describe() {
    return 'the test keychain';
  }
  async read() {
    return this.entry;
  }
  async write(c: StoredCredential) {
    this.writes += 1;
    if (this.failWrites > 0) {
      this.failWrites -= 1;
      throw new ProtocolError(ErrorCode.StoreFailed, 'the keychain is locked');
    }
    this.entry = c;
  }
  async delete() {
    return true;
  }
  async list() {
    return this.entry ? [this.entry] : [];
  }
}

/** One Codex copy holding `credential`'s tokens; what is written to it lands in `copy`. */
function oneCopy(credential: StoredCredential) {
  const copy: ClientCopy = {
    client: 'codex',
    server: 'mock',
    issuer: credential.issuer,
    clientId: credential.clientId,
    accessToken: credential.accessToken,
    ...(credential.refreshToken ? { refreshToken: credential.refreshToken } : {}),
    expiresAt: credential.expiresAt,
  };
  const withCopies: WithClientCopies = async <T>(_url: string, fn: (held: HeldCopies) => Promise<T>): Promise<T> =>
    fn({
      copies: [
        {
          copy,
          label: 'Codex (server "mock")',
          async write(c) {
            Object.assign(copy, { accessToken: c.accessToken, refreshToken: c.refreshToken, expiresAt: c.expiresAt });
            return undefined;
          },
        },
      ],
      warnings: [],
    });
  return { copy, withCopies };
}

const noCopies: WithClientCopies = async <T>(_url: string, fn: (held: HeldCopies) => Promise<T>): Promise<T> => fn({ copies: [], warnings: [] });

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let dataHome: string;
const savedXdg = process.env.XDG_DATA_HOME;

beforeAll(async () => {
  // The refresh lock lives under the data dir: a private one, never the user's.
  dataHome = await mkdtemp(join(tmpdir(), 'mlb-access-token-'));
  process.env.XDG_DATA_HOME = dataHome;
  provider = await startGoogleLikeProvider({ rotateRefreshTokens: true });
  mcp = await startMcpServer({ issuer: provider.issuer });
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  if (savedXdg === undefined) delete process.env.XDG_DATA_HOME;
  else process.env.XDG_DATA_HOME = savedXdg;
  await rm(dataHome, { recursive: true, force: true });
});

async function expiredLogin(): Promise<{ store: MemoryStore; original: StoredCredential }> {
  const login = await loginToFixture(provider, mcp.url, { configuredClient: true });
  const store = new MemoryStore();
  store.entry = { ...login, expiresAt: Date.now() - 1_000 };
  return { store, original: store.entry };
}

describe('a rotated refresh token our store refuses', () => {
  it('is written to the client copies, and the error says where it went, naming no token', async () => {
    const { store, original } = await expiredLogin();
    const { copy, withCopies } = oneCopy(original);
    store.failWrites = 2;
    const refreshes = provider.stats.refreshRequests;

    const error = await validAccessToken(store, mcp.url, { clientCopies: withCopies }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe(ErrorCode.StoreFailed);
    expect((error as ProtocolError).message).toContain('the test keychain');
    expect((error as ProtocolError).message).toContain('Codex (server "mock")');
    expect(provider.stats.refreshRequests).toBe(refreshes + 1);
    expect(store.writes).toBe(2); // the write and one retry
    expect(store.entry).toBe(original);
    // The rotated token survives in the copy, and it is the live one: it refreshes, with no reuse.
    expect(copy.refreshToken).toBeTruthy();
    expect(copy.refreshToken).not.toBe(original.refreshToken);
    for (const secret of [copy.refreshToken!, copy.accessToken!, original.refreshToken!, provider.clientSecret]) {
      expect((error as Error).message).not.toContain(secret);
    }
    await expect(refreshCredential({ ...original, refreshToken: copy.refreshToken! })).resolves.toBeTruthy();
    expect(provider.stats.refreshTokenReuses).toBe(0);
  });

  it('is stored when the one retry succeeds, and the copies are in step', async () => {
    const { store, original } = await expiredLogin();
    const { copy, withCopies } = oneCopy(original);
    store.failWrites = 1;
    const result = await validAccessToken(store, mcp.url, { clientCopies: withCopies });
    expect(result.refreshed).toBe(true);
    expect(store.entry).toBe(result.credential);
    expect(result.credential.refreshToken).not.toBe(original.refreshToken);
    expect(copy.refreshToken).toBe(result.credential.refreshToken);
  });

  it('with no copy to hold it, the error says the login will need renewing', async () => {
    const { store } = await expiredLogin();
    store.failWrites = 2;
    const error = (await validAccessToken(store, mcp.url, { clientCopies: noCopies }).catch((e: unknown) => e)) as ProtocolError;
    expect(error.code).toBe(ErrorCode.StoreFailed);
    expect(error.message).toContain('mcp-login-bridge login');
  });
});

/** A lock whose `lost()` answers from `answers`, one per call (the last one repeats). */
function lockLosing(answers: (() => boolean)[]): WithRefreshLock {
  return async <T>(_url: string, fn: (lock: HeldLock) => Promise<T>): Promise<T> => {
    let call = 0;
    return fn({ path: 'test-lock', lost: () => answers[Math.min(call++, answers.length - 1)]!(), release: async () => {} });
  };
}

describe('a refresh lock lost while held', () => {
  it('before the token request: nothing is refreshed or written, and the error says to try again', async () => {
    const { store, original } = await expiredLogin();
    const refreshes = provider.stats.refreshRequests;
    const error = (await validAccessToken(store, mcp.url, { clientCopies: noCopies, refreshLock: lockLosing([() => true]) }).catch((e: unknown) => e)) as ProtocolError;
    expect(error.code).toBe(ErrorCode.RefreshFailed);
    expect(error.message).toContain('lock');
    expect(provider.stats.refreshRequests).toBe(refreshes);
    expect(store.writes).toBe(0);
    expect(store.entry).toBe(original);
  });

  it('during the refresh, with another process\'s fresh result stored meanwhile: that result is used, not overwritten', async () => {
    const { store, original } = await expiredLogin();
    const other: StoredCredential = { ...original, accessToken: 'by-another-process', refreshToken: 'R-other', expiresAt: Date.now() + 3_600_000, updatedAt: Date.now() };
    const lock = lockLosing([() => false, () => ((store.entry = other), true)]);
    const result = await validAccessToken(store, mcp.url, { clientCopies: noCopies, refreshLock: lock });
    expect(result).toMatchObject({ credential: other, refreshed: false });
    expect(store.entry).toBe(other);
    expect(store.writes).toBe(0);
  });

  it('during the refresh, with the store as we left it: ours is written (it holds the live token)', async () => {
    const { store, original } = await expiredLogin();
    const result = await validAccessToken(store, mcp.url, { clientCopies: noCopies, refreshLock: lockLosing([() => false, () => true]) });
    expect(result.refreshed).toBe(true);
    expect(store.entry).toBe(result.credential);
    expect(result.credential.refreshToken).not.toBe(original.refreshToken);
  });
});

describe('a provider issuing access tokens for less than the refresh margin', () => {
  it('concurrent callers still refresh once and share the token', async () => {
    const shortLived = await startGoogleLikeProvider({ rotateRefreshTokens: true, accessTokenTtlSeconds: 30 });
    const shortMcp = await startMcpServer({ issuer: shortLived.issuer });
    try {
      const login = await loginToFixture(shortLived, shortMcp.url, { configuredClient: true });
      const store = new MemoryStore();
      store.entry = { ...login, expiresAt: Date.now() - 1_000 };
      const before = shortLived.stats.refreshRequests;
      const results = await Promise.all(Array.from({ length: 5 }, () => validAccessToken(store, shortMcp.url, { clientCopies: noCopies })));
      expect(shortLived.stats.refreshRequests - before).toBe(1);
      expect(new Set(results.map((r) => r.credential.accessToken)).size).toBe(1);
      expect(results.filter((r) => r.refreshed)).toHaveLength(1);
      expect(shortLived.stats.refreshTokenReuses).toBe(0);
    } finally {
      await shortMcp.close();
      await shortLived.close();
    }
  });
});

describe('a refresh the provider refuses', () => {
  const registration = { issuer: '', redirectUris: ['http://127.0.0.1/callback'], registeredAt: 1 };

  it('because the client is gone (invalid_client): the login needs renewing and its registration is forgotten', async () => {
    const { store, original } = await expiredLogin();
    store.entry = { ...original, clientId: 'deleted-client', clientSecret: undefined, tokenEndpointAuthMethod: 'none', registration: { ...registration, issuer: provider.issuer } };
    await expect(validAccessToken(store, mcp.url, { clientCopies: noCopies })).rejects.toMatchObject({ code: ErrorCode.LoginNeeded, message: expect.stringContaining('invalid_client') });
    expect(store.entry!.loginNeeded).toBe(true);
    expect(store.entry!.registration).toBeUndefined();
  });

  it('because the grant is gone (invalid_grant): the login needs renewing, the registration (still valid) is kept', async () => {
    const { store, original } = await expiredLogin();
    store.entry = { ...original, refreshToken: 'revoked-refresh-token', registration: { ...registration, issuer: provider.issuer } };
    await expect(validAccessToken(store, mcp.url, { clientCopies: noCopies })).rejects.toMatchObject({ code: ErrorCode.LoginNeeded, message: expect.stringContaining('invalid_grant') });
    expect(store.entry!.loginNeeded).toBe(true);
    expect(store.entry!.registration).toEqual({ ...registration, issuer: provider.issuer });
  });
});

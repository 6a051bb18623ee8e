/**
 * A valid access token for a server from the bridge store, refreshed first when it expires within
 * the refresh margin. The refresh runs under a cross-process lock and starts from the store as it
 * is once the lock is held, so concurrent callers refresh once and share the result. The new
 * credential (with a rotated refresh token, if any) is written before the token is handed out.
 *
 * Before refreshing, the local clients' copies of the login are read under their own locks: a copy
 * a client refreshed by itself (newer, another refresh token) is adopted instead of our entry,
 * whose refresh token a rotating provider has then spent; after a rotation the copies still holding
 * a spent token get the new tokens (rotation-sync.ts decides which).
 *
 * If our store refuses the new credential (locked keychain, D-Bus timeout), the copies are still
 * written, so a rotated refresh token lives on where the next run adopts it; the store write is
 * retried once, then the error says where the new login went.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { needsRefresh } from '../oauth/refresh-margin';
import type { CredentialTarget, StoredCredential } from '../stores/credential';
import type { HeldCopies, WithClientCopies } from './client-copies';
import { describeError } from './copy-labels';
import type { HeldLock } from '../stores/held-lock';
import type { WithRefreshLock } from '../stores/refresh-lock';
import { REFRESH_WAIT_LIMIT_MS, refreshLockPath, waitForRefresh } from '../stores/refresh-wait';
import type * as RotationSync from './rotation-sync';

export interface AccessTokenResult {
  credential: StoredCredential;
  refreshed: boolean;
  /** Clients whose copy could not be checked or updated; for stderr, never a token. */
  warnings: string[];
}

async function readUsable(store: CredentialTarget, serverUrl: string): Promise<StoredCredential> {
  const credential = await store.read(serverUrl);
  if (!credential) {
    throw new ProtocolError(ErrorCode.NotLoggedIn, `not logged in to ${serverUrl}; run: mcp-login-bridge login ${serverUrl}`);
  }
  if (credential.loginNeeded) {
    throw new ProtocolError(ErrorCode.LoginNeeded, `the login for ${serverUrl} must be renewed; run: mcp-login-bridge login ${serverUrl}`);
  }
  return credential;
}

/**
 * Whether `latest`, read after waiting for the lock, can be handed out. Outside the refresh margin,
 * always. Inside it too when another process stored it since we first read (another access token,
 * a later write) and it has not actually expired: a provider issuing tokens for 60 s or less (the
 * margin) hands out tokens that are "due" the moment they arrive, and without this every waiter
 * would refresh again in turn.
 */
function usableAfterWait(first: StoredCredential, latest: StoredCredential, now: number, refused?: string): boolean {
  if (refused !== undefined && latest.accessToken === refused) return false;
  if (!needsRefresh(latest, now)) return true;
  const replaced = latest.accessToken !== first.accessToken || latest.updatedAt > first.updatedAt;
  return replaced && (latest.expiresAt === null || latest.expiresAt > now);
}

export interface AccessTokenOptions {
  now?: () => number;
  /** The clients' copies of the login; default: every registered client's store. */
  clientCopies?: WithClientCopies;
  /** Tests only: the cross-process lock; default: stores/refresh-lock.ts. */
  refreshLock?: WithRefreshLock;
  /**
   * An access token the server refused (HTTP 401, e.g. revoked before its expiry): refresh even
   * outside the margin, unless the store already holds another one (someone refreshed since).
   */
  refused?: string;
}

export async function validAccessToken(store: CredentialTarget, serverUrl: string, options: AccessTokenOptions = {}): Promise<AccessTokenResult> {
  const now = options.now ?? Date.now;
  const { refused } = options;
  // Wall-clock times of our reads, to compare with the refresh lock's files (refresh-wait.ts).
  let lookedAt = Date.now();
  const first = await readUsable(store, serverUrl);
  if (!needsRefresh(first, now()) && first.accessToken !== refused) return { credential: first, refreshed: false, warnings: [] };

  // While another process refreshes, its result may already be stored: take it, no lock needed.
  const freshInStore = async () => {
    lookedAt = Date.now();
    const latest = await readUsable(store, serverUrl);
    return usableAfterWait(first, latest, now(), refused) ? { credential: latest, refreshed: false, warnings: [] } : undefined;
  };
  // Another process refreshing already: wait for its write with nothing more loaded than the
  // valid path has, and read the store once it is there.
  const deadline = Date.now() + REFRESH_WAIT_LIMIT_MS;
  const waited = await waitForRefresh(refreshLockPath(serverUrl), { check: freshInStore, lookedAt: () => lookedAt, deadline });
  if (waited) return waited;

  // Loaded only now: a valid token (the common case, on every MCP request) needs neither the
  // lock library, nor the OAuth library, nor the clients' stores.
  const [{ withRefreshLock }, { refreshCredential }, { clientCopies }, sync] = await Promise.all([
    import('../stores/refresh-lock'),
    import('../oauth/refresh'),
    import('./client-copies'),
    import('./rotation-sync'),
  ]);
  const lock = options.refreshLock ?? withRefreshLock;
  return lock(serverUrl, async (held) => {
    // Another process may have refreshed while we waited for the lock.
    const current = await readUsable(store, serverUrl);
    if (usableAfterWait(first, current, now(), refused)) return { credential: current, refreshed: false, warnings: [] };
    // A client may have refreshed its copy by itself: with a rotating provider
    // our refresh token is then spent. Look at the copies under the clients' own locks, held until
    // the new tokens are written back, so no client refreshes in between.
    const withCopies = options.clientCopies ?? clientCopies();
    return withCopies(serverUrl, (copies) => refreshFromNewest(store, current, copies, held, now, refreshCredential, sync));
  }, { whileWaiting: freshInStore, lookedAt: () => lookedAt, deadline });
}

async function refreshFromNewest(
  store: CredentialTarget,
  current: StoredCredential,
  held: HeldCopies,
  lock: HeldLock,
  now: () => number,
  refreshCredential: (credential: StoredCredential, now: () => number) => Promise<StoredCredential>,
  { adoptCopy, pickAdoptable, shouldUpdate }: typeof RotationSync,
): Promise<AccessTokenResult> {
  const warnings = [...held.warnings];
  const adopted = pickAdoptable(current, held.copies.map((h) => h.copy));
  const used = adopted ? adoptCopy(current, adopted, now()) : current;
  let final: StoredCredential;
  let refreshed = false;
  if (adopted && !needsRefresh(used, now())) {
    // The client's refresh is as good as ours would be, and costs the provider nothing.
    final = used;
  } else {
    // Lost while we waited for the clients' locks: another process may be refreshing this very token.
    if (lock.lost()) return afterLostLock(store, current, now, warnings, 'before refreshing');
    try {
      final = await refreshCredential(used, now);
      refreshed = true;
    } catch (err) {
      if (err instanceof ProtocolError && err.code === ErrorCode.LoginNeeded && used.refreshToken) {
        // A writer outside our lock (an older host, or a client without its lock) may have rotated
        // the token under us: never mark a login dead on the strength of a token that is no longer stored.
        const latest = await store.read(current.serverUrl);
        if (latest && latest.refreshToken !== current.refreshToken && !needsRefresh(latest, now())) {
          return { credential: latest, refreshed: false, warnings };
        }
        if (latest?.refreshToken === current.refreshToken) await store.write({ ...withoutGoneClient(used, err), loginNeeded: true, updatedAt: now() });
      }
      throw err;
    }
  }
  if (lock.lost()) {
    // Lost during the refresh: write only over what we started from, never over another process's result.
    const latest = await store.read(current.serverUrl);
    if (!latest || latest.refreshToken !== current.refreshToken || latest.updatedAt !== current.updatedAt) {
      return afterLostLock(store, current, now, warnings, 'while refreshing');
    }
  }
  // Ours first: it is what every waiting `token` process reads, and what is handed out.
  let storeError: unknown;
  try {
    await store.write(final);
    // Waiting processes read the store now, rather than when the lock goes after the copies' writes.
    lock.markWritten?.();
  } catch (error) {
    storeError = error;
  }
  // After a rotation the new refresh token exists only in memory and at the provider: whatever
  // happened to our store, the copies get it (the next run adopts it from them, rotation-sync.ts).
  const outcome = { current, used, final };
  const holding: string[] = [];
  for (const target of held.copies) {
    const label = target.label;
    if (final.refreshToken && target.copy.refreshToken === final.refreshToken) holding.push(label);
    if (!shouldUpdate(target.copy, outcome)) continue;
    try {
      const warning = await target.write(final);
      if (warning) warnings.push(warning);
      holding.push(label);
    } catch (error) {
      warnings.push(`${label} still holds the previous refresh token, which the provider may now refuse: updating it failed (${describeError(error)}).`);
    }
  }
  if (storeError !== undefined) {
    // Once more: a keychain that was locked or busy a moment ago often answers now.
    try {
      await store.write(final);
      lock.markWritten?.();
    } catch (error) {
      throw notSaved(store, current, final, holding, error);
    }
  }
  return { credential: final, refreshed, warnings };
}

/**
 * With the lock lost, another process may have refreshed: its stored result is used if it is fresh;
 * otherwise nothing is refreshed or written on a guess, and the caller may simply try again.
 */
/**
 * The login without its registered client when the provider said the client is gone
 * (invalid_client): the next login then registers a new one instead of reusing it.
 */
function withoutGoneClient(credential: StoredCredential, err: ProtocolError): StoredCredential {
  const cause = err.cause as { error?: unknown } | undefined;
  if (cause?.error !== 'invalid_client' || !credential.registration) return credential;
  const { registration: _gone, ...rest } = credential;
  return rest;
}

async function afterLostLock(store: CredentialTarget, current: StoredCredential, now: () => number, warnings: string[], when: string): Promise<AccessTokenResult> {
  const latest = await readUsable(store, current.serverUrl);
  if (latest.refreshToken !== current.refreshToken || latest.updatedAt !== current.updatedAt) {
    if (!needsRefresh(latest, now())) return { credential: latest, refreshed: false, warnings };
  }
  throw new ProtocolError(
    ErrorCode.RefreshFailed,
    `the refresh lock for ${current.serverUrl} was lost ${when} (the machine slept or stalled); nothing more was written, to avoid a second refresh: try again`,
  );
}

/** Says what became of a refreshed login the bridge store refused, naming places, never a token. */
function notSaved(store: CredentialTarget, current: StoredCredential, final: StoredCredential, holding: string[], error: unknown): ProtocolError {
  const url = current.serverUrl;
  const head = `the refreshed login for ${url} could not be saved in ${store.describe()} (${describeError(error)})`;
  if (!final.refreshToken || final.refreshToken === current.refreshToken) {
    return new ProtocolError(ErrorCode.StoreFailed, `${head}; the stored login still works, try again`, { cause: error });
  }
  if (holding.length) {
    return new ProtocolError(ErrorCode.StoreFailed, `${head}; the provider's new refresh token was saved in ${holding.join(' and ')}, and the next run takes it from there`, { cause: error });
  }
  return new ProtocolError(
    ErrorCode.StoreFailed,
    `${head}, nor anywhere else; the provider has replaced the stored refresh token, so the next refresh will likely be refused: fix the keychain, then run: mcp-login-bridge login ${url}`,
    { cause: error },
  );
}

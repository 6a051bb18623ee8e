/**
 * One refresh at a time per credential across every process on the machine. Providers that
 * rotate refresh tokens (Okta, Auth0, Atlassian) revoke the whole grant when an old one is
 * reused, so two `token` processes must never refresh from the same stored token: the second
 * waits here, then re-reads what the first wrote.
 *
 * Waiting is a loop of our own rather than proper-lockfile's retries (refresh-wait.ts): a waiter
 * sleeps until the holder marks a written credential or releases the lock, then may look at the
 * store (`whileWaiting`) and leave as soon as the holder's result is there. Fifty waiters then finish
 * together right after the one refresh, instead of taking the lock one after the other only to find
 * there is nothing left to do. `token` waits the same way before it even loads this module.
 *
 * A lock can be lost while held: proper-lockfile gives it up when it could not touch it within
 * the stale time (the laptop slept mid-refresh, the event loop stalled), and a waiter may then take
 * it. Its default reaction throws from a timer, killing the process, possibly between the
 * provider's rotation and our write. We record the loss instead; the holder checks `lost()` before
 * each step that must not run twice (the token request, the write) and re-reads the store.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { HeldLock } from './held-lock';
import { REFRESH_STALE_MS, REFRESH_WAIT_LIMIT_MS, markRefreshWritten, refreshLockPath, waitForRefresh } from './refresh-wait';

export interface RefreshLockOptions<T> {
  /**
   * Called while another process holds the lock, each time it marks a written credential or lets
   * the lock go; a value ends the wait.
   */
  whileWaiting?: () => Promise<T | undefined>;
  /**
   * When the caller last started reading the store (default: when the wait began): a credential the
   * holder marked written after that is looked at once, at the start of the wait.
   */
  lookedAt?: () => number;
  /** Give up taking the lock after this time (Date.now() scale); default one wait limit from now. */
  deadline?: number;
  /** Tests only: a shorter stale time, so a lost lock shows within seconds. */
  staleMs?: number;
}

export type WithRefreshLock = <T>(serverUrl: string, fn: (lock: HeldLock) => Promise<T>, options?: RefreshLockOptions<T>) => Promise<T>;

export async function withRefreshLock<T>(serverUrl: string, fn: (lock: HeldLock) => Promise<T>, options: RefreshLockOptions<T> = {}): Promise<T> {
  const path = refreshLockPath(serverUrl);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const begun = Date.now();
  const deadline = options.deadline ?? begun + REFRESH_WAIT_LIMIT_MS;
  const staleMs = options.staleMs ?? REFRESH_STALE_MS;
  let release: (() => Promise<void>) | undefined;
  let lost = false;
  // Recorded, not thrown: see the module comment.
  const onCompromised = () => {
    lost = true;
  };
  // Each look at the store (whileWaiting) moves this on: only marks after it are worth another look.
  let lookedAt = options.lookedAt ?? (() => begun);
  const check = options.whileWaiting && (async () => {
    const at = Date.now();
    lookedAt = () => at;
    return options.whileWaiting!();
  });
  while (!release) {
    try {
      release = await lockfile.lock(path, { realpath: false, stale: staleMs, retries: 0, onCompromised });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() > deadline) {
        throw new ProtocolError(ErrorCode.RefreshFailed, `could not take the refresh lock ${path}: ${(err as Error).message}`);
      }
      // Until the holder marks its write (whileWaiting may find the result) or lets the lock go.
      const done = await waitForRefresh(path, { check, lookedAt: () => lookedAt(), deadline, staleMs });
      if (done !== undefined) return done;
    }
  }
  const unlock = release;
  let released: Promise<void> | undefined;
  const held: HeldLock = {
    path,
    lost: () => lost,
    markWritten: () => markRefreshWritten(path),
    // Once: proper-lockfile refuses to release a lock twice.
    release: () => (released ??= unlock().catch(() => {})),
  };
  try {
    return await fn(held);
  } finally {
    await held.release();
  }
}

/**
 * One refresh at a time per credential across every process on the machine. Providers that
 * rotate refresh tokens (Okta, Auth0, Atlassian) revoke the whole grant when an old one is
 * reused, so two `token` processes must never refresh from the same stored token: the second
 * waits here, then re-reads what the first wrote.
 *
 * Waiting is a loop of our own rather than proper-lockfile's retries: between attempts a waiter
 * may look at the store (`whileWaiting`) and leave as soon as the holder has written a fresh
 * credential. Fifty waiters then finish together right after the one refresh, instead of taking
 * the lock one after the other only to find there is nothing left to do.
 *
 * A lock can be lost while held: proper-lockfile gives it up when it could not touch it within
 * the stale time (the laptop slept mid-refresh, the event loop stalled), and a waiter may then take
 * it. Its default reaction throws from a timer, killing the process, possibly between the
 * provider's rotation and our write. We record the loss instead; the holder checks `lost()` before
 * each step that must not run twice (the token request, the write) and re-reads the store.
 */
import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { dataDir } from '../paths';
import type { HeldLock } from './held-lock';

/** A holder that died is presumed gone after this long (proper-lockfile refreshes live locks). */
const STALE_MS = 20_000;
/** Longer than any refresh (15 s request timeout) plus staleness. */
const WAIT_LIMIT_MS = 60_000;

export interface RefreshLockOptions<T> {
  /** Called between attempts while another process holds the lock; a value ends the wait. */
  whileWaiting?: () => Promise<T | undefined>;
  /** Tests only: a shorter stale time, so a lost lock shows within seconds. */
  staleMs?: number;
}

export type WithRefreshLock = <T>(serverUrl: string, fn: (lock: HeldLock) => Promise<T>, options?: RefreshLockOptions<T>) => Promise<T>;

/**
 * Waits `ms`, or less: until something changes in the locks folder. The holder removes its lock
 * right after writing the store, so a waiter looks at the store as soon as the result is there
 * instead of at its next poll. Where the folder cannot be watched, it simply waits.
 */
function changeOrTimeout(dir: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let watcher: ReturnType<typeof watch> | undefined;
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      resolve();
    };
    const timer = setTimeout(done, ms);
    try {
      watcher = watch(dir, { persistent: false }, done);
      watcher.on('error', () => undefined);
    } catch {
      // No watching here (some network file systems): the timeout alone.
    }
  });
}

export async function withRefreshLock<T>(serverUrl: string, fn: (lock: HeldLock) => Promise<T>, options: RefreshLockOptions<T> = {}): Promise<T> {
  const dir = join(dataDir(), 'locks');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `refresh-${createHash('sha256').update(serverUrl).digest('hex').slice(0, 32)}`);
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let release: (() => Promise<void>) | undefined;
  let lost = false;
  // Recorded, not thrown: see the module comment.
  const onCompromised = () => {
    lost = true;
  };
  for (let attempt = 0; !release; attempt++) {
    try {
      release = await lockfile.lock(path, { realpath: false, stale: options.staleMs ?? STALE_MS, retries: 0, onCompromised });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() > deadline) {
        throw new ProtocolError(ErrorCode.RefreshFailed, `could not take the refresh lock ${path}: ${(err as Error).message}`);
      }
      const done = await options.whileWaiting?.();
      if (done !== undefined) return done;
      // Woken by the holder's release (see changeOrTimeout); otherwise short at first (a refresh
      // takes tens of milliseconds), then up to half a second, so fifty waiters do not keep the
      // keychain busy while the holder refreshes; jittered so they do not move in step.
      await changeOrTimeout(dir, Math.min(500, 25 * 1.5 ** attempt) * (0.5 + Math.random()));
    }
  }
  const unlock = release;
  let released: Promise<void> | undefined;
  const held: HeldLock = {
    path,
    lost: () => lost,
    // Once: proper-lockfile refuses to release a lock twice.
    release: () => (released ??= unlock().catch(() => {})),
  };
  try {
    return await fn(held);
  } finally {
    await held.release();
  }
}

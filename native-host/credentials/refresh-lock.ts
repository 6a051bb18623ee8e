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
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { dataDir } from '../paths';

/** A holder that died is presumed gone after this long (proper-lockfile refreshes live locks). */
const STALE_MS = 20_000;
/** Longer than any refresh (15 s request timeout) plus staleness. */
const WAIT_LIMIT_MS = 60_000;

export interface RefreshLockOptions<T> {
  /** Called between attempts while another process holds the lock; a value ends the wait. */
  whileWaiting?: () => Promise<T | undefined>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function withRefreshLock<T>(serverUrl: string, fn: () => Promise<T>, options: RefreshLockOptions<T> = {}): Promise<T> {
  const dir = join(dataDir(), 'locks');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `refresh-${createHash('sha256').update(serverUrl).digest('hex').slice(0, 32)}`);
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let release: (() => Promise<void>) | undefined;
  for (let attempt = 0; !release; attempt++) {
    try {
      release = await lockfile.lock(path, { realpath: false, stale: STALE_MS, retries: 0 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() > deadline) {
        throw new ProtocolError(ErrorCode.RefreshFailed, `could not take the refresh lock ${path}: ${(err as Error).message}`);
      }
      const done = await options.whileWaiting?.();
      if (done !== undefined) return done;
      // Short at first (a refresh takes tens of milliseconds), then up to half a second, so fifty
      // waiters do not keep the keychain busy while the holder refreshes; jittered so they do not
      // move in step.
      await sleep(Math.min(500, 25 * 1.5 ** attempt) * (0.5 + Math.random()));
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}

/**
 * Waiting for another process's refresh of the same login, light enough for `token`'s own bundle
 * (token.cjs): a `token` that finds its credential expired while another process refreshes it needs
 * neither the lock library nor the OAuth code, only to learn when the new credential is stored.
 * In a storm of fifty `token` processes that is forty-nine of them, on two cores.
 *
 * The refresh lock (refresh-lock.ts) is proper-lockfile's directory `<lock>.lock`, which its holder
 * touches while alive and removes when done. Next to it, the holder marks each refreshed credential
 * it stores by renaming an empty file over `<lock>.written`: no content, only the moment, so a
 * waiter reads the keychain once, right after the write, instead of polling it (each read is a
 * D-Bus round trip to a keyring daemon fifty processes share). Waiters watch the locks folder
 * (inotify on Linux) and look at the store when the mark changes or the lock goes. Where the folder
 * cannot be watched (some network file systems; no inotify instance left, 128 per user by default),
 * they stat the two files with a backoff; the keychain is still read only when one of them changed.
 *
 * This module only observes: it never takes, breaks or removes the lock. A lock gone or stale ends
 * the wait, and the caller takes it through refresh-lock.ts.
 */
import { createHash } from 'node:crypto';
import { renameSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { dataDir } from '../paths';

/** A holder that died is presumed gone after this long (proper-lockfile refreshes live locks). */
export const REFRESH_STALE_MS = 20_000;
/** Longer than any refresh (15 s request timeout) plus staleness. */
export const REFRESH_WAIT_LIMIT_MS = 60_000;

/**
 * File times come from the kernel's coarse clock, a few milliseconds behind Date.now(): a mark this
 * close before the caller's last look may still be a write that look missed.
 */
const CLOCK_SLACK_MS = 50;

/** The refresh lock's path for a server URL (the lock itself is the directory `<path>.lock`). */
export function refreshLockPath(serverUrl: string): string {
  return join(dataDir(), 'locks', `refresh-${createHash('sha256').update(serverUrl).digest('hex').slice(0, 32)}`);
}

/**
 * Tells waiters that a refreshed credential is now in the store (called by the lock's holder right
 * after the write). The mark is an empty file: it says when, never what. Best effort: if it cannot
 * be made, waiters still look when the lock is released.
 */
export function markRefreshWritten(lockPath: string): void {
  const mark = `${lockPath}.written`;
  const temp = `${mark}.${process.pid}`;
  try {
    writeFileSync(temp, '', { mode: 0o600 });
    // A rename gives the mark a new inode each time: a change no file-time granularity can hide.
    renameSync(temp, mark);
  } catch {
    // The release wakes them instead.
  }
}

export interface RefreshWaitOptions<T> {
  /** Looks at the store; a value ends the wait. Not called before the holder has done something. */
  check?: () => Promise<T | undefined>;
  /** When the caller (or `check`) last started reading the store: a write marked after it is looked at. */
  lookedAt: () => number;
  /** Give up (return undefined) after this time (Date.now() scale). */
  deadline: number;
  staleMs?: number;
}

type Holder = 'held' | 'free' | 'stale';

function holderOf(lockDir: string, staleMs: number): Holder {
  try {
    return statSync(lockDir).mtimeMs < Date.now() - staleMs ? 'stale' : 'held';
  } catch {
    return 'free';
  }
}

function markOf(mark: string): { id: string; mtimeMs: number } | undefined {
  try {
    const s = statSync(mark);
    return { id: `${s.ino}:${s.mtimeMs}:${s.ctimeMs}`, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

/**
 * Waits while another process holds the refresh lock at `lockPath`. Returns `check`'s value once it
 * finds the holder's result; undefined when the lock is (or becomes) free or stale, so the caller
 * should take it, or at the deadline.
 */
export async function waitForRefresh<T>(lockPath: string, options: RefreshWaitOptions<T>): Promise<T | undefined> {
  const staleMs = options.staleMs ?? REFRESH_STALE_MS;
  const lockDir = `${lockPath}.lock`;
  const mark = `${lockPath}.written`;
  let seen = markOf(mark);
  // A mark made since the caller last looked may be the very write it is waiting for.
  let look = seen !== undefined && seen.mtimeMs >= options.lookedAt() - CLOCK_SLACK_MS;
  // Nobody refreshing and nothing new: the caller takes the lock, without watching anything.
  if (!look && holderOf(lockDir, staleMs) !== 'held') return undefined;

  const names = new Set([basename(lockDir), basename(mark)]);
  let changed = false;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(lockPath), { persistent: false }, (_event, name) => {
      if (name !== null && !names.has(String(name))) return;
      changed = true;
      wake?.();
    });
    watcher.on('error', () => undefined);
  } catch {
    // No watching here (see the module comment): the backoff alone.
  }
  try {
    for (let attempt = 0; ; attempt++) {
      const holder = holderOf(lockDir, staleMs);
      // The lock went since we began waiting: the holder is done, with a result or having failed.
      // (A stale lock wrote nothing since it went quiet; whoever takes it over reads the store.)
      if (look || (attempt > 0 && holder === 'free')) {
        const done = await options.check?.();
        if (done !== undefined) return done;
      }
      if (holder !== 'held' || Date.now() > options.deadline) return undefined;
      // Until something happens next to the lock; the timeout only catches a holder that died (the
      // lock turns stale) or a folder whose changes are not reported. Short at first (a refresh
      // takes tens of milliseconds), then up to half a second; jittered, so waiters do not move in step.
      if (!changed) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(500, 25 * 1.5 ** attempt) * (0.5 + Math.random()));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      changed = false;
      const now = markOf(mark);
      look = now !== undefined && now.id !== seen?.id;
      seen = now;
    }
  } finally {
    watcher?.close();
  }
}

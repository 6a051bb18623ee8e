/**
 * Waiting for another process's refresh (refresh-wait.ts): the store is looked at when the lock's
 * holder marks its write or lets the lock go, never on a timer; a dead holder's lock ends the wait
 * so the caller can take it over. The holder here is this process (withRefreshLock), the waiter
 * the same code a second `token` process runs.
 */
import { mkdir, mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withRefreshLock } from '../../../native-host/stores/refresh-lock';
import { refreshLockPath, waitForRefresh } from '../../../native-host/stores/refresh-wait';

// Switched on by one test: a folder whose changes cannot be watched (some network file systems).
const noWatching = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const watch = ((...args: Parameters<typeof fs.watch>) => {
    if (noWatching.on) throw Object.assign(new Error('watch not supported here'), { code: 'ENOSYS' });
    return fs.watch(...args);
  }) as typeof fs.watch;
  return { ...fs, default: { ...fs, watch }, watch };
});

let dataHome: string;
const savedXdg = process.env.XDG_DATA_HOME;
beforeAll(async () => {
  dataHome = await mkdtemp(join(tmpdir(), 'mlb-refresh-wait-'));
  process.env.XDG_DATA_HOME = dataHome;
});
afterAll(async () => {
  if (savedXdg === undefined) delete process.env.XDG_DATA_HOME;
  else process.env.XDG_DATA_HOME = savedXdg;
  await rm(dataHome, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MINUTE = 60_000;

/** A check that counts its calls and finds a result once `ready` is set. */
function counter() {
  const state = { calls: 0, ready: false };
  const check = async () => (state.calls++, state.ready ? 'fresh' : undefined);
  return { state, check };
}

describe('a waiter for another process\'s refresh', () => {
  it('looks at the store once, when the holder marks its write, however long the refresh took', async () => {
    const url = 'https://mcp.example/marked';
    const { state, check } = counter();
    let waited: Promise<string | undefined> | undefined;
    await withRefreshLock(url, async (lock) => {
      waited = waitForRefresh(lock.path, { check, lookedAt: () => Date.now(), deadline: Date.now() + MINUTE });
      // Longer than several of the fallback timer's rounds: none of them reads the store.
      await sleep(1_500);
      expect(state.calls).toBe(0);
      state.ready = true;
      lock.markWritten!();
      expect(await waited).toBe('fresh');
      expect(state.calls).toBe(1);
    });
    // The mark says when, never what.
    expect((await stat(`${refreshLockPath(url)}.written`)).size).toBe(0);
  });

  it('looks once when the holder lets go without a result, then leaves the lock to the caller', async () => {
    const url = 'https://mcp.example/failed';
    const { state, check } = counter();
    let waited: Promise<string | undefined> | undefined;
    await withRefreshLock(url, async (lock) => {
      waited = waitForRefresh(lock.path, { check, lookedAt: () => Date.now(), deadline: Date.now() + MINUTE });
      await sleep(300);
    });
    expect(await waited).toBeUndefined();
    expect(state.calls).toBe(1);
  });

  it('looks at once at a write marked after the caller last read the store', async () => {
    const url = 'https://mcp.example/early-mark';
    const { state, check } = counter();
    await withRefreshLock(url, async (lock) => {
      const before = Date.now();
      await sleep(100);
      state.ready = true;
      lock.markWritten!();
      expect(await waitForRefresh(lock.path, { check, lookedAt: () => before, deadline: Date.now() + MINUTE })).toBe('fresh');
      expect(state.calls).toBe(1);
      // A mark older than the caller's last read was seen by that read: no look for it.
      await sleep(200);
      const later = counter();
      const waited = waitForRefresh(lock.path, { check: later.check, lookedAt: () => Date.now(), deadline: Date.now() + MINUTE });
      await sleep(300);
      expect(later.state.calls).toBe(0);
      later.state.ready = true;
      lock.markWritten!();
      expect(await waited).toBe('fresh');
    });
  });

  it('with nobody refreshing, returns at once without looking', async () => {
    const { state, check } = counter();
    expect(await waitForRefresh(refreshLockPath('https://mcp.example/free'), { check, lookedAt: () => Date.now(), deadline: Date.now() + MINUTE })).toBeUndefined();
    expect(state.calls).toBe(0);
  });

  it('where the folder cannot be watched, still sees the mark (by its file times)', async () => {
    const url = 'https://mcp.example/unwatched';
    const { state, check } = counter();
    noWatching.on = true;
    try {
      await withRefreshLock(url, async (lock) => {
        const waited = waitForRefresh(lock.path, { check, lookedAt: () => Date.now(), deadline: Date.now() + MINUTE });
        await sleep(700);
        expect(state.calls).toBe(0);
        state.ready = true;
        lock.markWritten!();
        expect(await waited).toBe('fresh');
        expect(state.calls).toBe(1);
      });
    } finally {
      noWatching.on = false;
    }
  });
});

describe('a refresher that died holding the lock', () => {
  it('ends the wait once its lock is stale, and the next process takes the lock over', async () => {
    const url = 'https://mcp.example/crashed';
    const path = refreshLockPath(url);
    // What a killed holder leaves: proper-lockfile's directory, no longer touched.
    await mkdir(`${path}.lock`, { recursive: true });
    const { state, check } = counter();
    expect(await waitForRefresh(path, { check, lookedAt: () => Date.now(), deadline: Date.now() + MINUTE, staleMs: 2_000 })).toBeUndefined();
    expect(state.calls).toBe(0);
    const taken = await withRefreshLock(url, async () => 'taken over', { whileWaiting: check, staleMs: 2_000 });
    expect(taken).toBe('taken over');
    expect((await readdir(join(dataHome, 'mcp-login-bridge', 'locks'))).filter((n) => n.endsWith('.lock'))).toEqual([]);
  });

  it('at once when the lock is already older than the stale time', async () => {
    const url = 'https://mcp.example/long-dead';
    const path = refreshLockPath(url);
    await mkdir(`${path}.lock`, { recursive: true });
    await utimes(`${path}.lock`, new Date(2000, 0, 1), new Date(2000, 0, 1));
    expect(await withRefreshLock(url, async () => 'taken over')).toBe('taken over');
  });
});

/** The cross-process refresh lock (refresh-lock.ts) when it is lost while held. */
import { readdir, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRefreshLock } from '../../../native-host/stores/refresh-lock';

let dataHome: string;
const savedXdg = process.env.XDG_DATA_HOME;
beforeAll(async () => {
  dataHome = await mkdtemp(join(tmpdir(), 'mlb-refresh-lock-'));
  process.env.XDG_DATA_HOME = dataHome;
});
afterAll(async () => {
  if (savedXdg === undefined) delete process.env.XDG_DATA_HOME;
  else process.env.XDG_DATA_HOME = savedXdg;
  await rm(dataHome, { recursive: true, force: true });
});

describe('a refresh lock lost while held', () => {
  it('is reported to the holder through lost(), not thrown from a timer', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      const sawLost = await withRefreshLock(
        'https://mcp.example/lost',
        async (lock) => {
          expect(lock.lost()).toBe(false);
          // What a waiter taking a "stale" lock does (or a sleep past the stale time looks like):
          // the lock's mtime is no longer the one its holder last set.
          const locks = join(dataHome, 'mcp-login-bridge', 'locks');
          const [name] = (await readdir(locks)).filter((n) => n.endsWith('.lock'));
          await utimes(join(locks, name!), new Date(2000, 0, 1), new Date(2000, 0, 1));
          const deadline = Date.now() + 5_000;
          while (!lock.lost() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          return lock.lost();
        },
        { staleMs: 2_000 },
      );
      expect(sawLost).toBe(true);
      expect(uncaught).toEqual([]);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });
});

describe('a refresh lock released by its holder', () => {
  it('is free for the next holder at once, and the release at the end does nothing more', async () => {
    const url = 'https://mcp.example/early';
    const order: string[] = [];
    let second: Promise<void> | undefined;
    await withRefreshLock(url, async (lock) => {
      expect(lock.path).toContain('refresh-');
      await lock.release();
      await lock.release();
      // Taken at once: a waiter would see ELOCKED and wait for the holder to finish.
      second = withRefreshLock(url, async () => void order.push('second'), { whileWaiting: async () => (order.push('waited'), undefined) });
      await second;
      order.push('first ends');
    });
    await second;
    expect(order).toEqual(['second', 'first ends']);
  });
});

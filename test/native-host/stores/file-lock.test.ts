/** Our flock(2) locks exclude other processes exactly like Codex's, with either helper, and end with their holder. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireFileLock, withFileLocks } from '../../../native-host/stores/file-lock';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlb-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Whether another process could take the flock right now (flock -n fails when it is held). */
function freeForOthers(path: string): boolean {
  return spawnSync('flock', ['--nonblock', path, 'true']).status === 0;
}

describe.each(['flock', 'perl'] as const)('file lock via %s', (tool) => {
  it('holds a real flock until released', async () => {
    const path = join(dir, `${tool}.lock`);
    const lock = await acquireFileLock(path, { tool });
    expect(freeForOthers(path)).toBe(false);
    expect(lock.lost()).toBe(false);
    await lock.release();
    expect(freeForOthers(path)).toBe(true);
  });

  it('serializes two holders in this process', async () => {
    const path = join(dir, `${tool}-order.lock`);
    const order: string[] = [];
    const first = withFileLocks([path], async () => {
      order.push('first in');
      await new Promise((r) => setTimeout(r, 150));
      order.push('first out');
    }, { tool });
    await new Promise((r) => setTimeout(r, 50));
    await withFileLocks([path], async () => void order.push('second'), { tool });
    await first;
    expect(order).toEqual(['first in', 'first out', 'second']);
  });
});

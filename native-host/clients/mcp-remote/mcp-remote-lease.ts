/**
 * mcp-remote's refresh lease (0.15, `acquireConfigLease` / `REFRESH_LEASE_FILE` in its bundle): the
 * file `<hash>_refresh_in_progress.json` in its store, created exclusively (`wx`) with
 * `{pid, nonce, at}`. An instance that finds it held waits (polling every 200 ms) and reads the
 * tokens the holder writes; a lease older than 30 s, or whose process is gone, is abandoned and
 * taken over. It is not a lock the kernel keeps: holding it is what makes every mcp-remote instance
 * for this server wait for our write instead of refreshing with the token we are replacing.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { isObject } from '../../stores/entry-fields';

export const LEASE_FILE = 'refresh_in_progress.json';
const LEASE_MAX_AGE_MS = 30_000;
const POLL_MS = 200;

export interface HeldLease {
  release(): Promise<void>;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLease(path: string): Promise<{ pid: number; nonce: string; at: number } | undefined> {
  try {
    const doc: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (isObject(doc) && Number.isInteger(doc.pid) && (doc.pid as number) > 0 && typeof doc.nonce === 'string' && typeof doc.at === 'number') {
      return { pid: doc.pid as number, nonce: doc.nonce, at: doc.at };
    }
    return undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lease for `hash` in `storeDir`, waiting up to `waitMs` for a live holder. */
export async function acquireLease(storeDir: string, hash: string, waitMs: number): Promise<HeldLease> {
  await mkdir(storeDir, { recursive: true, mode: 0o700 });
  const path = join(storeDir, `${hash}_${LEASE_FILE}`);
  const nonce = randomUUID();
  const deadline = Date.now() + waitMs;
  let unreadableBefore = false;
  for (;;) {
    try {
      await writeFile(path, JSON.stringify({ pid: process.pid, nonce, at: Date.now() }, null, 2), { encoding: 'utf8', mode: 0o600, flag: 'wx' });
      if ((await readLease(path))?.nonce === nonce) {
        return {
          async release() {
            if ((await readLease(path))?.nonce === nonce) await unlink(path).catch(() => undefined);
          },
        };
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ProtocolError(ErrorCode.StoreFailed, `Cannot take mcp-remote's refresh lease ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`);
      }
      const held = await readLease(path);
      // Too old, or its process gone: abandoned, as mcp-remote judges it. Unreadable twice in a
      // row too (once may be a holder between creating the file and writing it).
      if (held ? Date.now() - held.at >= LEASE_MAX_AGE_MS || !processIsAlive(held.pid) : unreadableBefore) {
        unreadableBefore = false;
        await unlink(path).catch(() => undefined);
        continue;
      }
      unreadableBefore = !held;
    }
    if (Date.now() >= deadline) {
      throw new ProtocolError(ErrorCode.StoreFailed, `A running mcp-remote held its refresh lease ${path} for more than ${Math.round(waitMs / 1000)} s; retry when it is done.`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

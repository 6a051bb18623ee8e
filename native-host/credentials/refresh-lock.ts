/**
 * One refresh at a time per credential across every process on the machine. Providers that
 * rotate refresh tokens (Okta, Auth0, Atlassian) revoke the whole grant when an old one is
 * reused, so two `token` processes must never refresh from the same stored token: the second
 * waits here, then re-reads what the first wrote.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { dataDir } from '../paths';

/** A holder that died is presumed gone after this long (proper-lockfile refreshes live locks). */
const STALE_MS = 20_000;

export async function withRefreshLock<T>(serverUrl: string, fn: () => Promise<T>): Promise<T> {
  const dir = join(dataDir(), 'locks');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `refresh-${createHash('sha256').update(serverUrl).digest('hex').slice(0, 32)}`);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      realpath: false,
      stale: STALE_MS,
      // Waits up to about a minute: longer than any refresh (15 s request timeout) plus staleness.
      retries: { retries: 300, minTimeout: 10, maxTimeout: 250, factor: 1.2 },
    });
  } catch (err) {
    throw new ProtocolError(ErrorCode.RefreshFailed, `could not take the refresh lock ${path}: ${(err as Error).message}`);
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}

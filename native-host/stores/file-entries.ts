/**
 * The bridge's entries as files, for machines without a keychain (SSH sessions, containers, WSL)
 * or when the config says `"store": "file"`: one file per server, `<dir>/<sha256 of the server
 * URL, 32 hex>.json`, holding exactly the secret the keychain item would hold, mode 0600 in a 0700
 * folder, like Codex's `.credentials.json` and gh's `hosts.yml`. Not encrypted: anyone who can read
 * the user's files can read it, which is why every write says so.
 *
 * One file per server, not one file for all: each write is one atomic rename, under the server's
 * refresh lock the callers already hold, so two servers never race over a shared file.
 *
 * This file finds and reads an entry (`token` may, in "auto" or "file"); writing, removing and
 * listing them is file-entry-writes.ts, which only the store's write side loads.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, ProtocolError } from '../../shared/errors';

export class FileEntries {
  constructor(readonly dir: string) {}

  /** The file that holds (or would hold) `account`'s entry. */
  pathFor(account: string): string {
    return join(this.dir, `${fileStem(account)}.json`);
  }

  async read(account: string): Promise<string | undefined> {
    return readEntryFile(this, this.pathFor(account));
  }
}

/** The text of one entry file, or undefined when there is none. */
export async function readEntryFile(files: FileEntries, path: string): Promise<string | undefined> {
  return fileIo(files, 'read', path, async () => {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  });
}

/** Runs one file operation of the folder, its failure turned into a StoreFailed that says what to do. */
export async function fileIo<T>(files: FileEntries, operation: string, path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw fileFailure(files, operation, path, error);
  }
}

/** The system's error code only: a message of fs could quote nothing secret, but stays short. */
export function fileFailure(files: FileEntries, operation: string, path: string, error: unknown): ProtocolError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EDQUOT: 'disk quota exceeded',
  };
  return new ProtocolError(
    ErrorCode.StoreFailed,
    `Cannot ${operation} the bridge's credential file ${path} (${why[code] ?? code}): make ${files.dir} writable for this user ` +
      '(or point XDG_STATE_HOME at a folder that is), or use the keychain ("store": "keychain" in the host config), then retry.',
  );
}

/** An entry file's name: the server URL's SHA-256, 32 hex digits. */
export function fileStem(account: string): string {
  return createHash('sha256').update(account).digest('hex').slice(0, 32);
}

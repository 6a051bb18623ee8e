/**
 * The bridge's entries as files, for machines without a keychain (SSH sessions, containers, WSL)
 * or when the config says `"store": "file"`: one file per server, `<dir>/<sha256 of the server
 * URL, 32 hex>.json`, holding exactly the secret the keychain item would hold, mode 0600 in a 0700
 * folder, like Codex's `.credentials.json` and gh's `hosts.yml`. Not encrypted: anyone who can read
 * the user's files can read it, which is why every write says so.
 *
 * One file per server, not one file for all: each write is one atomic rename, under the server's
 * refresh lock the callers already hold, so two servers never race over a shared file.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { readTextIfExists, writeFileAtomic } from './atomic-file';

/** One file of the folder: its secret and the server it names, or why it cannot be used. */
export type ListedFile = { account: string; secret: string; path: string } | { account: string; path: string; damaged: string };

export class FileEntries {
  constructor(readonly dir: string) {}

  /** The file that holds (or would hold) `account`'s entry. */
  pathFor(account: string): string {
    return join(this.dir, `${fileStem(account)}.json`);
  }

  async read(account: string): Promise<string | undefined> {
    return this.#io('read', this.pathFor(account), () => readTextIfExists(this.pathFor(account)));
  }

  async write(account: string, secret: string): Promise<string> {
    const path = this.pathFor(account);
    await this.#io('write', path, async () => {
      await this.#ensureDir();
      await writeFileAtomic(path, secret, 0o600);
    });
    return path;
  }

  async delete(account: string): Promise<boolean> {
    const path = this.pathFor(account);
    return this.#io('delete', path, async () => {
      try {
        await stat(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
      await rm(path, { force: true });
      return true;
    });
  }

  /**
   * Every entry file. The account is the `serverUrl` the file holds; a file whose name is not that
   * URL's hash is damaged (copied or renamed by hand), so it can never answer for another server.
   */
  async list(): Promise<ListedFile[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.#failed('list', this.dir, error);
    }
    const result: ListedFile[] = [];
    for (const name of names.filter((n) => /^[0-9a-f]{32}\.json$/.test(n)).sort()) {
      const path = join(this.dir, name);
      const secret = await this.#io('read', path, () => readTextIfExists(path));
      if (secret === undefined) continue; // removed meanwhile
      const account = serverUrlOf(secret);
      if (account === undefined) result.push({ account: path, path, damaged: 'it is not an entry of mcp-login-bridge (no "serverUrl")' });
      // Listed under its path, not the server it claims: it is not that server's entry.
      else if (`${fileStem(account)}.json` !== name) result.push({ account: path, path, damaged: `its file name does not match the "serverUrl" it holds (${account})` });
      else result.push({ account, secret, path });
    }
    return result;
  }

  /**
   * Creates the folder if needed and proves a file can be created, written and removed in it,
   * without touching any entry. Throws StoreFailed naming the folder, the reason and the fix.
   */
  async checkWritable(): Promise<void> {
    const probe = join(this.dir, `.write-check-${process.pid}`);
    await this.#io('write', this.dir, async () => {
      await this.#ensureDir();
      await writeFileAtomic(probe, 'ok', 0o600);
      await rm(probe, { force: true });
    });
  }

  async #ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async #io<T>(operation: string, path: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw this.#failed(operation, path, error);
    }
  }

  /** The system's error code only: a message of fs could quote nothing secret, but stays short. */
  #failed(operation: string, path: string, error: unknown): ProtocolError {
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
      `Cannot ${operation} the bridge's credential file ${path} (${why[code] ?? code}): make ${this.dir} writable for this user ` +
        '(or point XDG_STATE_HOME at a folder that is), or use the keychain ("store": "keychain" in the host config), then retry.',
    );
  }
}

function fileStem(account: string): string {
  return createHash('sha256').update(account).digest('hex').slice(0, 32);
}

function serverUrlOf(secret: string): string | undefined {
  try {
    const parsed = JSON.parse(secret) as { serverUrl?: unknown } | null;
    return typeof parsed?.serverUrl === 'string' && parsed.serverUrl.length > 0 ? parsed.serverUrl : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writing, removing and listing the bridge's entry files (file-entries.ts finds and reads them):
 * the store's write side (bridge-store-writes.ts) is the one user.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { fileFailure, fileIo, fileStem, readEntryFile, type FileEntries } from './file-entries';

/** One file of the folder: its secret and the server it names, or why it cannot be used. */
export type ListedFile = { account: string; secret: string; path: string } | { account: string; path: string; damaged: string };

/** Writes `account`'s entry file (0600, in a 0700 folder made if needed) and returns its path. */
export async function writeEntryFile(files: FileEntries, account: string, secret: string): Promise<string> {
  const path = files.pathFor(account);
  await fileIo(files, 'write', path, async () => {
    await ensureDir(files);
    await writeFileAtomic(path, secret, 0o600);
  });
  return path;
}

/** Whether `account` had an entry file, now removed. */
export async function deleteEntryFile(files: FileEntries, account: string): Promise<boolean> {
  const path = files.pathFor(account);
  return fileIo(files, 'delete', path, async () => {
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
export async function listEntryFiles(files: FileEntries): Promise<ListedFile[]> {
  let names: string[];
  try {
    names = await readdir(files.dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileFailure(files, 'list', files.dir, error);
  }
  const result: ListedFile[] = [];
  for (const name of names.filter((n) => /^[0-9a-f]{32}\.json$/.test(n)).sort()) {
    const path = join(files.dir, name);
    const secret = await readEntryFile(files, path);
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
export async function checkEntryFilesWritable(files: FileEntries): Promise<void> {
  const probe = join(files.dir, `.write-check-${process.pid}`);
  await fileIo(files, 'write', files.dir, async () => {
    await ensureDir(files);
    await writeFileAtomic(probe, 'ok', 0o600);
    await rm(probe, { force: true });
  });
}

async function ensureDir(files: FileEntries): Promise<void> {
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
}

function serverUrlOf(secret: string): string | undefined {
  try {
    const parsed = JSON.parse(secret) as { serverUrl?: unknown } | null;
    return typeof parsed?.serverUrl === 'string' && parsed.serverUrl.length > 0 ? parsed.serverUrl : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whole-file replacement for credential files: a reader (Codex, Claude Code, us) sees either the
 * old file or the new one, never half of one, and the file is 0600 from its first byte.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The file's text, or undefined when it does not exist. Other errors propagate. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Writes `text` to a temp file next to `path` (same file system, so rename is atomic), flushes it,
 * and renames it over `path`. The temp file is created exclusively (`wx`: never follows a planted
 * symlink, never reuses a file someone else made) with `mode`, set exactly through the open handle
 * before the first byte; on any failure it is removed and `path` is untouched.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o600): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let renamed = false;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      // open's mode is masked by the umask (never widened by it); make it exact on the open
      // handle before any data goes in, not by path after close: the name could by then be
      // another file, and a chmod by path would follow a symlink planted there.
      await handle.chmod(mode);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    renamed = true;
    await syncDirectory(dirname(path));
  } finally {
    if (!renamed) await rm(temp, { force: true });
  }
}

/** So the rename itself survives a crash; not possible (nor needed) on every platform. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on directories; the data itself is already synced.
  }
}

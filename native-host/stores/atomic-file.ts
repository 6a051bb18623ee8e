/**
 * Whole-file replacement for credential files: a reader (Codex, Claude Code, us) sees either the
 * old file or the new one, never half of one, and the file is 0600 from its first byte.
 */
import { randomBytes } from 'node:crypto';
import { lstat, open, readFile, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ErrorCode, ProtocolError } from '../../shared/errors';

export interface WriteFileAtomicOptions {
  /**
   * What to do when `path` is a symlink. 'follow' (the default) replaces the file it leads to and
   * keeps the link: dotfile managers (stow, chezmoi, home-manager) link config.toml and
   * .credentials.json into a repository, and replacing the link would silently leave the user's
   * real file behind. 'replace' puts a plain file in the link's place (for files we own and that
   * must not be redirected, like the launcher a browser runs).
   */
  symlinks?: 'follow' | 'replace';
}

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
 *
 * When `path` is a symlink (and `symlinks` is 'follow'), "path" above means the file it finally
 * leads to: the temp file goes next to that one and is renamed over it, so the link stays. A link
 * that leads nowhere is refused, with nothing written: creating its target could put a credential
 * somewhere the user never meant.
 */
export async function writeFileAtomic(path: string, text: string, mode = 0o600, options: WriteFileAtomicOptions = {}): Promise<void> {
  const target = options.symlinks === 'replace' ? path : await resolveTarget(path);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
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
    await rename(temp, target);
    renamed = true;
    await syncDirectory(dirname(target));
  } finally {
    if (!renamed) await rm(temp, { force: true });
  }
}

/** The file a write to `path` should replace: `path` itself unless it is a symlink. */
async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ELOOP') throw error;
    // ENOENT: either nothing is there yet (write it as is) or a link whose target is missing.
    let isLink = false;
    try {
      isLink = (await lstat(path)).isSymbolicLink();
    } catch {
      // Not there at all (or its folder is missing: the write below says so).
    }
    if (code === 'ENOENT' && !isLink) return path;
    throw new ProtocolError(
      ErrorCode.StoreFailed,
      code === 'ELOOP'
        ? `${path} leads through a loop of symbolic links; nothing was written. Fix or remove the links.`
        : `${path} is a symbolic link to a file that does not exist; nothing was written. Create the file it points to, or remove the link.`,
    );
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

/**
 * writeFileAtomic: the temp file is created exclusively, gets its exact mode through the open
 * handle before any data is written (whatever the umask), and no chmod by path ever runs; a
 * symlinked file (dotfile managers) is updated where it lives and the link kept.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** What the code under test did to the file system, seen through a wrapping mock. */
const seen = vi.hoisted(() => ({
  opens: [] as { path: string; flags: unknown; mode: unknown }[],
  /** The temp file's permission bits when its first data was written, and when it was closed. */
  modeAtFirstWrite: [] as number[],
  modeAtClose: [] as number[],
  pathChmods: [] as string[],
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (path, flags, mode) => {
    const handle = await real.open(path, flags, mode);
    if (String(path).endsWith('.tmp')) {
      seen.opens.push({ path: String(path), flags, mode });
      const writeFile = handle.writeFile.bind(handle);
      const close = handle.close.bind(handle);
      handle.writeFile = (async (...args: Parameters<typeof writeFile>) => {
        seen.modeAtFirstWrite.push((await handle.stat()).mode & 0o777);
        return writeFile(...args);
      }) as typeof handle.writeFile;
      handle.close = async () => {
        seen.modeAtClose.push((await handle.stat()).mode & 0o777);
        return close();
      };
    }
    return handle;
  };
  const chmod: typeof real.chmod = async (path, mode) => {
    seen.pathChmods.push(String(path));
    return real.chmod(path, mode);
  };
  return { ...real, default: { ...real, open, chmod }, open, chmod };
});

const { writeFileAtomic } = await import('../../../native-host/stores/atomic-file');

let dir: string;
let previousUmask: number;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlb-atomic-'));
  previousUmask = process.umask();
  seen.opens.length = 0;
  seen.modeAtFirstWrite.length = 0;
  seen.modeAtClose.length = 0;
  seen.pathChmods.length = 0;
});
afterEach(async () => {
  process.umask(previousUmask);
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes 0600 under a permissive umask, the temp never wider, created exclusively', async () => {
    process.umask(0o000);
    const path = join(dir, 'creds.json');
    await writeFileAtomic(path, '{"a":1}');
    expect(await readFile(path, 'utf8')).toBe('{"a":1}');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(seen.opens).toHaveLength(1);
    expect(seen.opens[0]).toMatchObject({ flags: 'wx', mode: 0o600 });
    expect(seen.modeAtFirstWrite).toEqual([0o600]);
    expect(seen.modeAtClose).toEqual([0o600]);
    expect(await readdir(dir)).toEqual(['creds.json']);
  });

  it('sets the exact mode on the open handle before writing, even when the umask narrowed it, and never chmods by path', async () => {
    process.umask(0o077);
    const path = join(dir, 'shared.json');
    await writeFileAtomic(path, 'x', 0o640);
    // open(…, 0o640) under umask 077 gives 0600; the handle's chmod makes it 0640 before data.
    expect(seen.modeAtFirstWrite).toEqual([0o640]);
    expect(seen.modeAtClose).toEqual([0o640]);
    expect(seen.pathChmods).toEqual([]);
    expect((await stat(path)).mode & 0o777).toBe(0o640);
  });

  it('replaces an existing wider file with one of the given mode', async () => {
    process.umask(0o022);
    const path = join(dir, 'old.json');
    const { writeFile, chmod } = await import('node:fs/promises');
    await writeFile(path, 'old', { mode: 0o644 });
    await chmod(path, 0o644);
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('writes through a symlink (a chain of them) to the real file, keeping the links', async () => {
    const { writeFile } = await import('node:fs/promises');
    await mkdir(join(dir, 'dotfiles'));
    const real = join(dir, 'dotfiles', 'config.toml');
    await writeFile(real, 'old', { mode: 0o644 });
    await symlink(join('dotfiles', 'config.toml'), join(dir, 'middle.toml'));
    const link = join(dir, 'config.toml');
    await symlink('middle.toml', link);
    await writeFileAtomic(link, 'new');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe('middle.toml');
    expect((await lstat(join(dir, 'middle.toml'))).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toBe('new');
    expect((await stat(real)).mode & 0o777).toBe(0o600);
    // The temp file was made (exclusively) next to the real file, so the rename stays atomic.
    expect(seen.opens).toHaveLength(1);
    expect(dirname(seen.opens[0]!.path)).toBe(await realpath(join(dir, 'dotfiles')));
    expect(seen.opens[0]).toMatchObject({ flags: 'wx', mode: 0o600 });
    expect((await readdir(join(dir, 'dotfiles'))).sort()).toEqual(['config.toml']);
    expect((await readdir(dir)).sort()).toEqual(['config.toml', 'dotfiles', 'middle.toml']);
  });

  it('refuses a symlink that leads to no file, naming it, and writes nothing', async () => {
    const link = join(dir, '.credentials.json');
    await symlink(join(dir, 'gone', '.credentials.json'), link);
    const error = await writeFileAtomic(link, '{"secret":"s3cr3t"}').catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ProtocolError');
    expect((error as Error).message).toContain(`${link} is a symbolic link to a file that does not exist`);
    expect((error as Error).message).not.toContain('s3cr3t');
    expect(seen.opens).toEqual([]);
    expect(await readdir(dir)).toEqual(['.credentials.json']);
    expect(await readlink(link)).toBe(join(dir, 'gone', '.credentials.json'));

    await symlink('loop-b', join(dir, 'loop-a'));
    await symlink('loop-a', join(dir, 'loop-b'));
    await expect(writeFileAtomic(join(dir, 'loop-a'), 'x')).rejects.toThrow(/loop of symbolic links; nothing was written/);
    expect(seen.opens).toEqual([]);
  });

  it("with symlinks: 'replace' puts a plain file in the link's place and leaves its target alone", async () => {
    const { writeFile } = await import('node:fs/promises');
    const victim = join(dir, 'victim');
    await writeFile(victim, 'untouched');
    const link = join(dir, 'native-host.sh');
    await symlink(victim, link);
    await writeFileAtomic(link, '#!/bin/sh\n', 0o755, { symlinks: 'replace' });
    expect((await lstat(link)).isFile()).toBe(true);
    expect(await readFile(link, 'utf8')).toBe('#!/bin/sh\n');
    expect(await readFile(victim, 'utf8')).toBe('untouched');
  });
});

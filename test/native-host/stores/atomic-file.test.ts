/**
 * writeFileAtomic: the temp file is created exclusively, gets its exact mode through the open
 * handle before any data is written (whatever the umask), and no chmod by path ever runs.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});

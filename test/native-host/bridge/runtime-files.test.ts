import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserNameFromExecutable, identityFromArgv } from '../../../native-host/bridge/browser-identity';
import { ensurePrivateDir, isAlive, listBridges, runtimeDir, scanBridges, writeBridgeFile, type BridgeInfo } from '../../../native-host/bridge/runtime-files';
import { checkRunningHosts } from '../../../native-host/doctor/checks';

const SECRET = 'a'.repeat(43);

function info(pid: number, browser = 'chromium'): BridgeInfo {
  return { version: 1, pid, port: 40000, secret: SECRET, browser, startedAt: 1 };
}

/** A pid that certainly belongs to no process: one that just exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('runtime directory', () => {
  it('uses XDG_RUNTIME_DIR on Linux, the per-user TMPDIR on macOS, LOCALAPPDATA on Windows; the override wins', () => {
    expect(runtimeDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, 'linux')).toBe('/run/user/1000/mcp-login-bridge');
    expect(runtimeDir({ TMPDIR: '/var/folders/x/T' }, 'darwin')).toBe('/var/folders/x/T/mcp-login-bridge');
    expect(runtimeDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32')).toBe(join('C:\\Users\\u\\AppData\\Local', 'mcp-login-bridge', 'run'));
    expect(runtimeDir({ MCP_LOGIN_BRIDGE_RUNTIME_DIR: '/x', XDG_RUNTIME_DIR: '/run/user/1' }, 'linux')).toBe('/x');
  });

  it('without XDG_RUNTIME_DIR uses a folder under the home, never a shared /tmp name another user could create first', async () => {
    expect(runtimeDir({ HOME: '/h' }, 'linux', 'box')).toBe('/h/.cache/mcp-login-bridge/run-box');
    expect(runtimeDir({ HOME: '/h', XDG_CACHE_HOME: '/c' }, 'linux', 'box')).toBe('/c/mcp-login-bridge/run-box');
    expect(runtimeDir({ HOME: '/h', XDG_CACHE_HOME: 'relative' }, 'linux', 'box')).toBe('/h/.cache/mcp-login-bridge/run-box');
    expect(runtimeDir({ HOME: '/h' }, 'linux', 'a/b c')).toBe('/h/.cache/mcp-login-bridge/run-a_b_c');
    expect(runtimeDir({ HOME: '/h' }, 'darwin')).toBe('/h/Library/Caches/mcp-login-bridge/run');
    expect(runtimeDir({ HOME: '/h' }, 'linux').startsWith(tmpdir())).toBe(false);
    // The host creates the whole path private and can announce itself there.
    const home = await mkdtemp(join(tmpdir(), 'mlb-home-'));
    const dir = runtimeDir({ HOME: home }, 'linux', 'box');
    await writeBridgeFile(dir, info(process.pid));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(home, '.cache'))).mode & 0o777).toBe(0o700);
    expect((await listBridges(dir)).map((b) => b.pid)).toEqual([process.pid]);
  });

  it('tightens an existing directory that others could read to 0700', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'mlb-rt-')), 'rt');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    await ensurePrivateDir(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });
});

describe('listBridges', () => {
  it('lists live hosts most recently active first, and removes the files of dead ones', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'mlb-rt-')), 'rt');
    const stale = deadPid();
    const staleFile = await writeBridgeFile(dir, info(stale));
    const live = await writeBridgeFile(dir, info(process.pid, 'chrome'));
    const parent = await writeBridgeFile(dir, info(process.ppid, 'firefox'));
    await utimes(live, new Date(1_000_000), new Date(1_000_000));
    await utimes(parent, new Date(2_000_000), new Date(2_000_000));
    const found = await listBridges(dir);
    expect(found.map((b) => b.browser)).toEqual(['firefox', 'chrome']);
    expect(await readdir(dir)).not.toContain(staleFile.split('/').pop());
    expect(found[0]).toMatchObject({ pid: process.ppid, port: 40000, secret: SECRET });
  });

  it('ignores files others could have written or read, malformed files, and a name that differs from the pid', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'mlb-rt-')), 'rt');
    const open = await writeBridgeFile(dir, info(process.pid));
    await chmod(open, 0o644);
    await writeFile(join(dir, `host-${process.ppid}.json`), '{"version":1', { mode: 0o600 });
    await writeFile(join(dir, 'host-1.json'), JSON.stringify(info(process.pid)), { mode: 0o600 });
    expect(await listBridges(dir)).toEqual([]);
    expect(await listBridges(join(dir, 'missing'))).toEqual([]);
  });
});

describe('listBridges refuses a runtime folder it cannot trust', () => {
  /** A folder holding a valid bridge of a live process (this one), as a planted folder would. */
  async function plantedFolder(): Promise<string> {
    const dir = join(await mkdtemp(join(tmpdir(), 'mlb-rt-')), 'rt');
    await writeBridgeFile(dir, info(process.pid));
    return dir;
  }

  it('a symbolic link to a folder', async () => {
    const target = await plantedFolder();
    const link = join(await mkdtemp(join(tmpdir(), 'mlb-rt-')), 'rt');
    await symlink(target, link);
    const scan = await scanBridges(link);
    expect(scan.bridges).toEqual([]);
    expect(scan.refused).toMatch(/symbolic link/);
    expect(await listBridges(link)).toEqual([]);
    expect(await listBridges(target)).toHaveLength(1);
  });

  it('a folder others can read or write', async () => {
    const dir = await plantedFolder();
    await chmod(dir, 0o755);
    expect(await scanBridges(dir)).toEqual({ bridges: [], refused: expect.stringMatching(/open to other users \(mode 0755\)/) });
    await chmod(dir, 0o770);
    expect(await listBridges(dir)).toEqual([]);
  });

  it('a folder owned by another user (the uid check injected)', async () => {
    const dir = await plantedFolder();
    const other = (process.getuid?.() ?? 0) + 1;
    expect(await scanBridges(dir, { uid: other })).toEqual({ bridges: [], refused: expect.stringMatching(/belongs to another user/) });
  });

  it.skipIf(process.getuid?.() !== 0)('a folder really owned by another user (as root)', async () => {
    const dir = await plantedFolder();
    await chown(dir, 65534, 65534);
    expect(await scanBridges(dir)).toEqual({ bridges: [], refused: expect.stringMatching(/belongs to another user \(uid 65534\)/) });
  });

  it('a missing folder is simply empty, not refused', async () => {
    expect(await scanBridges(join(tmpdir(), 'mlb-rt-missing', 'rt'))).toEqual({ bridges: [] });
  });

  it('doctor says why it ignored the folder', async () => {
    const link = join(await mkdtemp(join(tmpdir(), 'mlb-rt-')), 'rt');
    await symlink(await plantedFolder(), link);
    const [check, ...rest] = await checkRunningHosts(link);
    expect(rest).toEqual([]);
    expect(check).toMatchObject({ id: 'bridge', status: 'warn', message: expect.stringContaining(`${link} is a symbolic link`) });
    expect(JSON.stringify(check)).not.toContain(SECRET);
  });
});

describe('browser identity', () => {
  it('names the browser from its executable and reads --user-data-dir', () => {
    expect(identityFromArgv(['/usr/lib/chromium/chromium', '--type=x', '--user-data-dir=/tmp/p'])).toEqual({ browser: 'chromium', userDataDir: '/tmp/p' });
    expect(browserNameFromExecutable('/opt/google/chrome/chrome')).toBe('chrome');
    expect(browserNameFromExecutable('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome')).toBe('chrome');
    expect(browserNameFromExecutable('C:\\Program Files\\Microsoft\\Edge\\Application\\msedge.exe')).toBe('edge');
    expect(browserNameFromExecutable('/usr/lib/firefox/firefox-bin')).toBe('firefox');
    expect(browserNameFromExecutable('/opt/brave.com/brave/brave')).toBe('brave');
    expect(identityFromArgv([])).toEqual({ browser: 'unknown' });
  });
});

describe('isAlive', () => {
  const failing = (code: string) => () => {
    throw Object.assign(new Error(code), { code });
  };

  it('on POSIX calls a pid of another user (EPERM) not our host: the file is stale', () => {
    expect(isAlive(4242, failing('EPERM'), 'linux')).toBe(false);
    expect(isAlive(4242, failing('EPERM'), 'darwin')).toBe(false);
    expect(isAlive(4242, failing('ESRCH'), 'linux')).toBe(false);
    expect(isAlive(4242, () => true, 'linux')).toBe(true);
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(deadPid())).toBe(false);
  });

  it('on Windows still counts EPERM as running', () => {
    expect(isAlive(4242, failing('EPERM'), 'win32')).toBe(true);
  });
});

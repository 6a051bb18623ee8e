import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserNameFromExecutable, identityFromArgv } from '../../../native-host/bridge/browser-identity';
import { ensurePrivateDir, listBridges, runtimeDir, writeBridgeFile, type BridgeInfo } from '../../../native-host/bridge/runtime-files';

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
    expect(runtimeDir({}, 'linux')).toMatch(/mcp-login-bridge-/);
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

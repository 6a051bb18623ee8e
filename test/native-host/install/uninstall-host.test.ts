import { existsSync } from 'node:fs';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBrowser, parseLauncher } from '../../../native-host/doctor/checks';
import { installHost, launcherScript } from '../../../native-host/install/install-host';
import { manifestFor } from '../../../native-host/install/host-paths';
import { uninstallHost } from '../../../native-host/install/uninstall-host';
import { DEV_EXTENSION_ID } from '../../../shared/constants';

const linux = (home: string) => ({ env: { HOME: home }, platform: 'linux' as const });

describe('manifestFor', () => {
  it('pins the Windows manifest file and registry key', () => {
    expect(manifestFor('edge', { env: { HOME: 'C:/u', APPDATA: 'C:/u/AppData/Roaming' }, platform: 'win32' })).toEqual({
      path: join('C:/u/AppData/Roaming', 'mcp-login-bridge', 'manifests', 'edge', 'mcp_login_bridge.json'),
      registryKey: 'HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts\\mcp_login_bridge',
    });
  });
});

describe('uninstallHost', () => {
  it('removes each manifest, and the launcher with the last one that used it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'mlb-uninstall-'));
    const chrome = await installHost({ browser: 'chrome', hostScript: '/h.mjs', ...linux(home) });
    const firefox = await installHost({ browser: 'firefox', hostScript: '/h.mjs', ...linux(home) });

    const first = await uninstallHost({ browser: 'chrome', ...linux(home) });
    expect(first).toMatchObject({ manifestPath: chrome.manifestPath, manifestRemoved: true, launcherRemoved: false, launcherStillUsedBy: ['firefox'] });
    expect(existsSync(chrome.manifestPath)).toBe(false);
    expect(existsSync(chrome.launcherPath)).toBe(true);

    const second = await uninstallHost({ browser: 'firefox', ...linux(home) });
    expect(second).toMatchObject({ manifestRemoved: true, launcherRemoved: true, launcherStillUsedBy: [] });
    expect(existsSync(firefox.manifestPath)).toBe(false);
    expect(existsSync(firefox.launcherPath)).toBe(false);

    // Nothing left: says so, does not fail.
    expect(await uninstallHost({ browser: 'firefox', ...linux(home) })).toMatchObject({ manifestRemoved: false, launcherRemoved: false });
  });

  it('keeps the launcher when removing a --user-data-dir manifest (other profiles may use it)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'mlb-uninstall-'));
    const profile = join(home, 'p');
    const installed = await installHost({ browser: 'chromium', userDataDir: profile, hostScript: '/h.mjs', ...linux(home) });
    const r = await uninstallHost({ browser: 'chromium', userDataDir: profile, ...linux(home) });
    expect(r).toMatchObject({ manifestPath: installed.manifestPath, manifestRemoved: true, launcherRemoved: false });
    expect(existsSync(installed.launcherPath)).toBe(true);
  });
});

describe('doctor: a browser registration', () => {
  it('reads back the node and script of a launcher install wrote, quoting included', () => {
    expect(parseLauncher(launcherScript("/opt/it's/node", '/srv/h.mjs', 'linux'))).toEqual({ node: "/opt/it's/node", script: '/srv/h.mjs' });
    expect(parseLauncher(launcherScript('C:\\node\\node.exe', 'C:\\mlb\\h.mjs', 'win32'))).toEqual({ node: 'C:\\node\\node.exe', script: 'C:\\mlb\\h.mjs' });
    expect(parseLauncher('#!/bin/sh\nexec something-else\n')).toBeUndefined();
  });

  it('is ok for a fresh install, and says what is wrong when the node or launcher is gone', async () => {
    const home = await mkdtemp(join(tmpdir(), 'mlb-doctor-'));
    const profile = join(home, 'p');
    const script = join(home, 'host.mjs');
    await writeFile(script, '');
    const fakeNode = join(home, 'node');
    await writeFile(fakeNode, '#!/bin/sh\n');
    await chmod(fakeNode, 0o755);
    const env = { HOME: home };
    const original = process.env.HOME;
    process.env.HOME = home;
    try {
      const installed = await installHost({ browser: 'chromium', userDataDir: profile, hostScript: script, nodePath: fakeNode, env, platform: 'linux' });
      const options = { userDataDir: profile, allowedIds: [DEV_EXTENSION_ID] };
      expect(await checkBrowser('chromium', options)).toMatchObject({ status: 'ok' });
      expect(await checkBrowser('chromium', { ...options, allowedIds: ['someone-else'] })).toMatchObject({ status: 'error', message: expect.stringContaining('refuses') });
      await chmod(fakeNode, 0o644);
      expect(await checkBrowser('chromium', options)).toMatchObject({ status: 'error', message: expect.stringContaining('node'), fix: expect.stringContaining('install --browser chromium') });
      await writeFile(installed.launcherPath, '#!/bin/sh\necho hi\n');
      expect(await checkBrowser('chromium', options)).toMatchObject({ status: 'error', message: expect.stringContaining('not written by') });
      await writeFile(installed.manifestPath, '{');
      expect(await checkBrowser('chromium', options)).toMatchObject({ status: 'error', message: expect.stringContaining('not valid JSON') });
      expect(await checkBrowser('chrome', { allowedIds: [DEV_EXTENSION_ID] })).toMatchObject({ status: 'info', message: expect.stringContaining('not registered') });
    } finally {
      process.env.HOME = original;
    }
  });
});

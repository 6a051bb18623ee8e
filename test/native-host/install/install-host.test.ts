import { lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_EXTENSION_ID, FIREFOX_ADDON_ID } from '../../../shared/constants';
import { installHost, launcherScript } from '../../../native-host/install/install-host';
import { manifestLocation } from '../../../native-host/install/manifest-locations';

describe('manifestLocation', () => {
  it.each([
    ['chrome', 'linux', '/h/.config/google-chrome/NativeMessagingHosts'],
    ['chromium', 'linux', '/h/.config/chromium/NativeMessagingHosts'],
    ['edge', 'linux', '/h/.config/microsoft-edge/NativeMessagingHosts'],
    ['brave', 'linux', '/h/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts'],
    ['vivaldi', 'linux', '/h/.config/vivaldi/NativeMessagingHosts'],
    ['firefox', 'linux', '/h/.mozilla/native-messaging-hosts'],
    ['chrome', 'darwin', '/h/Library/Application Support/Google/Chrome/NativeMessagingHosts'],
    ['firefox', 'darwin', '/h/Library/Application Support/Mozilla/NativeMessagingHosts'],
  ] as const)('%s on %s', (browser, platform, dir) => {
    expect(manifestLocation(browser, { platform, home: '/h' }).dir).toBe(dir);
  });
  it('uses the registry on Windows', () => {
    expect(manifestLocation('chrome', { platform: 'win32', home: 'C:/u' }).registryKey).toBe('HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts');
  });
  it('puts the manifest inside a custom user-data-dir', () => {
    expect(manifestLocation('chromium', { platform: 'linux', home: '/h', userDataDir: '/p' }).dir).toBe('/p/NativeMessagingHosts');
  });
});

describe('installHost', () => {
  it('writes an executable launcher pinning node and a manifest naming it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'mlb-install-'));
    const profile = join(home, 'profile');
    const result = await installHost({
      browser: 'chromium',
      userDataDir: profile,
      hostScript: '/opt/mlb/host.mjs',
      nodePath: '/usr/bin/node',
      env: { HOME: home },
      platform: 'linux',
    });
    expect(result.manifestPath).toBe(join(profile, 'NativeMessagingHosts', 'mcp_login_bridge.json'));
    const manifest = JSON.parse(await readFile(result.manifestPath, 'utf8'));
    expect(manifest).toEqual({
      name: 'mcp_login_bridge',
      description: expect.any(String),
      path: result.launcherPath,
      type: 'stdio',
      allowed_origins: [`chrome-extension://${DEV_EXTENSION_ID}/`],
    });
    expect((await stat(result.launcherPath)).mode & 0o777).toBe(0o755);
    expect(await readFile(result.launcherPath, 'utf8')).toContain(`exec '/usr/bin/node' '/opt/mlb/host.mjs' "$@"`);
  });
  it('replaces a symlink at the launcher\'s name instead of writing through it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'mlb-install-'));
    const options = { browser: 'firefox', hostScript: '/h.mjs', nodePath: '/usr/bin/node', env: { HOME: home }, platform: 'linux' } as const;
    const { launcherPath } = await installHost(options);
    const victim = join(home, 'victim.sh');
    await writeFile(victim, 'untouched');
    await rm(launcherPath);
    await symlink(victim, launcherPath);
    await installHost(options);
    expect((await lstat(launcherPath)).isFile()).toBe(true);
    expect(await readFile(launcherPath, 'utf8')).toContain(`exec '/usr/bin/node' '/h.mjs'`);
    expect(await readFile(victim, 'utf8')).toBe('untouched');
  });
  it('names Firefox add-ons in allowed_extensions', async () => {
    const home = await mkdtemp(join(tmpdir(), 'mlb-install-'));
    const result = await installHost({ browser: 'firefox', hostScript: '/h.mjs', env: { HOME: home }, platform: 'linux' });
    expect(JSON.parse(await readFile(result.manifestPath, 'utf8')).allowed_extensions).toEqual([FIREFOX_ADDON_ID]);
  });
  it('refuses a malformed extension id', async () => {
    await expect(installHost({ browser: 'chrome', extensionId: 'XYZ', hostScript: '/h.mjs', env: { HOME: '/nonexistent' }, platform: 'linux' })).rejects.toThrow(
      /not a valid chrome extension id/,
    );
  });
  it('quotes paths with spaces and quotes in the launcher', () => {
    expect(launcherScript("/a b/no'de", '/h.mjs', 'linux')).toContain(`exec '/a b/no'\\''de' '/h.mjs' "$@"`);
  });
});

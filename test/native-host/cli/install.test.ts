/**
 * `install` and `uninstall` in process (their seams): the launcher and manifests written into a
 * temp home found from the command's env, a host bundle path of the test's, no build. Exit codes,
 * the --json shape, the text people read, and what lands on disk.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createInstallCommand } from '../../../native-host/cli/install';
import { uninstallCommand } from '../../../native-host/cli/uninstall';
import { DEV_EXTENSION_ID, FIREFOX_ADDON_ID } from '../../../shared/constants';
import { captureIO } from '../../helpers/command-io';
import { makeTestHome, type TestHome } from '../../helpers/test-home';

let home: TestHome;
let hostScript: string;
let launcher: string;
const manifestOf = (browser: 'chromium' | 'firefox' | 'chrome') =>
  join(home.env.HOME!, browser === 'firefox' ? '.mozilla/native-messaging-hosts' : `.config/${browser === 'chrome' ? 'google-chrome' : 'chromium'}/NativeMessagingHosts`, 'mcp_login_bridge.json');

beforeEach(async () => {
  home = await makeTestHome({});
  // Where a package's host bundle would be: <package>/dist/native-host/main.mjs.
  hostScript = join(home.root, 'pkg', 'dist', 'native-host', 'main.mjs');
  launcher = join(home.env.XDG_DATA_HOME!, 'mcp-login-bridge', 'native-host.sh');
});
afterEach(async () => {
  await home.remove();
});

async function run(command: { run: ReturnType<typeof createInstallCommand>['run'] }, ...args: string[]) {
  const io = captureIO(home.env);
  const code = await command.run(args, io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}
const install = (...args: string[]) => run(createInstallCommand({ hostScript: () => hostScript }), ...args);
const uninstall = (...args: string[]) => run(uninstallCommand, ...args);

describe('install', () => {
  it('writes the launcher and the manifest where the browser looks, and says so', async () => {
    const r = await install('--browser', 'chromium');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `Installed the native host for chromium:\n  manifest: ${manifestOf('chromium')}\n  launcher: ${launcher}\n  allowed: chrome-extension://${DEV_EXTENSION_ID}/\n` +
        '\nNo built extension next to this host: run "npm run build" in the repository, then load .output/chrome-mv3 (or firefox-mv3).\n',
    );
    expect(JSON.parse(await readFile(manifestOf('chromium'), 'utf8'))).toMatchObject({ name: 'mcp_login_bridge', path: launcher, type: 'stdio' });
    expect(await readFile(launcher, 'utf8')).toContain(`exec '${process.execPath}' '${hostScript}' "$@"`);
    expect((await stat(launcher)).mode & 0o777).toBe(0o755);
  });

  it('--json: what was written; --extension-id is also allowed in the host config', async () => {
    const id = 'abcdefghijklmnopabcdefghijklmnop';
    const r = await install('--browser', 'chrome', '--extension-id', id, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, manifestPath: manifestOf('chrome'), launcherPath: launcher, allowed: [`chrome-extension://${id}/`], config: home.configFile });
    expect(JSON.parse(await readFile(home.configFile, 'utf8'))).toEqual({ allowedExtensionIds: [id] });
    // Once allowed, a second install does not claim to have added it again.
    const again = await install('--browser', 'chrome', '--extension-id', id);
    expect(again.stdout).not.toContain('allowed in the host config');
  });

  it('names the extension that ships beside the host bundle', async () => {
    const folder = join(home.root, 'pkg', '.output', 'firefox-mv3');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'manifest.json'), '{}');
    const r = await install('--browser', 'firefox');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`allowed: ${FIREFOX_ADDON_ID}\n\nThe extension (id ${FIREFOX_ADDON_ID}) ships with this package:\n  folder: ${folder}\n`);
    const json = JSON.parse((await install('--browser', 'firefox', '--json')).stdout);
    expect(json.extension).toMatchObject({ folder, id: FIREFOX_ADDON_ID, steps: expect.any(Array) });
  });

  it('usage errors exit 2 and write nothing', async () => {
    for (const [args, message] of [
      [[], '--browser is required: one of chrome, chromium, edge, brave, vivaldi, firefox'],
      [['--browser', 'netscape'], 'unknown browser "netscape": use one of chrome, chromium, edge, brave, vivaldi, firefox'],
      [['--browser', 'chromium', 'extra'], 'install takes no positional arguments (got extra)'],
      [['--browser', 'chromium', '--user-data-dir', join(home.root, 'nope')], `--user-data-dir ${join(home.root, 'nope')} does not exist`],
    ] as const) {
      const r = await install(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`mcp-login-bridge: ${message}\n`);
    }
    const json = await install('--browser', 'netscape', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 0, name: 'Usage' } });
    await expect(stat(launcher)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an extension id the browser would refuse fails with exit 1', async () => {
    const r = await install('--browser', 'chromium', '--extension-id', 'NOT-AN-ID');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--extension-id "NOT-AN-ID" is not a valid chromium extension id');
  });
});

describe('uninstall', () => {
  it('removes one browser\'s manifest and keeps the launcher another still uses; "all" removes the rest', async () => {
    await install('--browser', 'chromium');
    await install('--browser', 'firefox');
    const one = await uninstall('--browser', 'chromium');
    expect(one).toEqual({ code: 0, stderr: '', stdout: `Removed the chromium manifest ${manifestOf('chromium')}\nKept the launcher ${launcher}: still used by firefox\n` });
    await expect(stat(manifestOf('chromium'))).rejects.toMatchObject({ code: 'ENOENT' });

    const all = await uninstall('--browser', 'all', '--json');
    expect(all.code).toBe(0);
    const { ok, results } = JSON.parse(all.stdout);
    expect(ok).toBe(true);
    expect(results.map((r: { browser: string }) => r.browser)).toEqual(['chrome', 'chromium', 'edge', 'brave', 'vivaldi', 'firefox']);
    expect(results.filter((r: { manifestRemoved: boolean }) => r.manifestRemoved).map((r: { browser: string }) => r.browser)).toEqual(['firefox']);
    expect(results.at(-1)).toMatchObject({ launcherPath: launcher, launcherRemoved: true, launcherStillUsedBy: [] });
    await expect(stat(launcher)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('with nothing installed says there was nothing to remove', async () => {
    const r = await uninstall('--browser', 'chrome');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`No chrome manifest at ${manifestOf('chrome')} (nothing to remove)\n`);
  });

  it('a --user-data-dir profile: its manifest goes, the launcher stays', async () => {
    const profile = join(home.root, 'profile');
    await mkdir(profile);
    await install('--browser', 'chromium', '--user-data-dir', profile);
    const r = await uninstall('--browser', 'chromium', '--user-data-dir', profile);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Removed the chromium manifest ${join(profile, 'NativeMessagingHosts', 'mcp_login_bridge.json')}\nKept the launcher ${launcher}: other --user-data-dir profiles may use it\n`);
    expect((await stat(launcher)).isFile()).toBe(true);
  });

  it('usage errors exit 2', async () => {
    expect((await uninstall()).code).toBe(2);
    expect((await uninstall('--browser', 'netscape')).stderr).toContain('unknown browser "netscape": use one of chrome, chromium, edge, brave, vivaldi, firefox, or all');
    const both = await uninstall('--browser', 'all', '--user-data-dir', home.root, '--json');
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout).error.message).toBe('--user-data-dir names one profile of one browser; use it with --browser <name>');
  });
});

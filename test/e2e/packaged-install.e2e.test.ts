/**
 * The product as a user installs it: `npm pack` (its prepack builds the host and both store zips),
 * the tarball installed with `npm i -g` into an empty prefix with an empty HOME, and from there
 * `--help`, `install --browser chromium --user-data-dir DIR` and a real login in Chromium with the
 * extension loaded from the installed package's folder (never the repository's .output/), through
 * the installed host, against the Google-like provider and the MCP server fixtures.
 *
 * The package is packed once; installing it fetches its runtime dependencies through npm (the
 * machine's npm cache is reused with --prefer-offline, an npm setting only: the product's HOME
 * stays empty).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_EXTENSION_ID } from '../../shared/constants';
import { launchBrowserWithExtension, type BrowserHarness } from '../fixtures/browser-harness';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../fixtures/mcp-server';
import { authorizeInPopup } from './login-world';

const ROOT = resolve(__dirname, '../..');
const NPM_CLI = resolve(dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js');

function run(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, failed) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', failed);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
const npm = (args: string[], env: NodeJS.ProcessEnv, cwd?: string) => run(process.execPath, [NPM_CLI, ...args], { env, ...(cwd ? { cwd } : {}) });

let scratch: string;
let tarball: string;
let prefix: string;
let installOutput: string;
let bin: string;
let packageDir: string;
let packedFiles: string[];

// Packing builds the host and both extensions and zips them (about half a minute on an idle
// machine); installing fetches the runtime dependencies. One pack and one install for the file.
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mlb-packaged-'));
  const packEnv = { ...process.env, npm_config_update_notifier: 'false' };
  const packed = await npm(['pack', '--json', '--pack-destination', scratch], packEnv);
  expect(packed.code, packed.stderr).toBe(0);
  // The build's own output comes first on stdout; npm's JSON report is the rest.
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('[\n  {'))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(scratch, info!.filename);
  packedFiles = info!.files.map((f) => f.path);

  prefix = join(scratch, 'prefix');
  const emptyHome = join(scratch, 'npm-home');
  await mkdir(emptyHome);
  const installed = await npm(
    ['install', '--global', '--prefix', prefix, '--cache', join(homedir(), '.npm'), '--prefer-offline', '--no-audit', '--no-fund', tarball],
    { PATH: process.env.PATH, HOME: emptyHome, npm_config_update_notifier: 'false' },
    scratch,
  );
  installOutput = installed.stdout + installed.stderr;
  expect(installed.code, installOutput).toBe(0);
  bin = join(prefix, 'bin', 'mcp-login-bridge');
  packageDir = join(prefix, 'lib', 'node_modules', 'mcp-login-bridge');
}, 600_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds the built host, both built extensions and their store zips, and nothing of test/', () => {
    const files = packedFiles;
    expect(files).toContain('dist/native-host/mcp-login-bridge.mjs');
    expect(files).toContain('native-host/bin/mcp-login-bridge.mjs');
    // `token` as the launcher runs it: the valid-token path, and what it loads only when needed.
    expect(files).toContain('native-host/bin/mcp-login-bridge.cjs');
    expect(files).toContain('dist/native-host/token.cjs');
    expect(files).toContain('dist/native-host/token-lazy.cjs');
    expect(files).toContain('.output/chrome-mv3/manifest.json');
    expect(files).toContain('.output/firefox-mv3/manifest.json');
    expect(files.some((f) => /^\.output\/mcp-login-bridge-[\d.]+-chrome\.zip$/.test(f))).toBe(true);
    expect(files.some((f) => /^\.output\/mcp-login-bridge-[\d.]+-firefox\.zip$/.test(f))).toBe(true);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('scripts/') || f.endsWith('-sources.zip'))).toEqual([]);
    // TypeScript sources are not needed: the bin runs the built bundle.
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
  });

  it('installs globally on this Node without engine warnings or install scripts', () => {
    expect(installOutput).not.toMatch(/EBADENGINE|Unsupported engine/);
    expect(installOutput).not.toMatch(/install-scripts|postinstall|wxt prepare/);
    expect(existsSync(bin)).toBe(true);
    // Only runtime dependencies came along (no tsx, no test tooling).
    expect(existsSync(join(packageDir, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(prefix, 'lib', 'node_modules', 'tsx'))).toBe(false);
  });
});

describe('from the global install', () => {
  let keyring: KeyringHarness | undefined;
  let provider: GoogleLikeProvider | undefined;
  let mcp: McpServerFixture | undefined;
  let browser: BrowserHarness | undefined;
  afterAll(async () => {
    await browser?.close();
    await mcp?.close();
    await provider?.close();
    await keyring?.stop();
  });

  it('--help, install --browser chromium --user-data-dir, then a login in Chromium with the packaged extension', async () => {
    keyring = await startKeyring();
    // The user's environment: the fresh keyring's HOME and session bus, the installed bin on PATH.
    const world = await mkdtemp(join(scratch, 'world-'));
    const configPath = join(world, 'config.json');
    const env: Record<string, string> = {
      ...keyring.env,
      PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      MCP_LOGIN_BRIDGE_CONFIG: configPath,
      MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(world, 'runtime'),
      CODEX_HOME: join(world, 'codex'),
      CLAUDE_CONFIG_DIR: join(world, 'claude'),
    };
    expect(await readdir(env.HOME!)).not.toContain('.config');

    const help = await run(bin, ['--help'], { env, cwd: world });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^mcp-login-bridge [\d.]+: stay logged in/);
    expect(help.stdout).toContain('install');

    provider = await startGoogleLikeProvider();
    mcp = await startMcpServer({ issuer: provider.issuer });
    await writeFile(
      configPath,
      JSON.stringify({
        clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
        rules: [{ id: 'fixture-google', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
      }),
      { mode: 0o600 },
    );

    const extensionFolder = join(packageDir, '.output', 'chrome-mv3');
    let installText = '';
    browser = await launchBrowserWithExtension({
      env,
      extensionDir: extensionFolder,
      loadInPlace: true,
      prepareProfile: async (userDataDir) => {
        const installed = await run(bin, ['install', '--browser', 'chromium', '--user-data-dir', userDataDir], { env, cwd: world });
        expect(installed.code, installed.stderr).toBe(0);
        installText = installed.stdout;
        // The manifest names a launcher that runs the installed package's host bundle.
        const manifest = JSON.parse(await readFile(join(userDataDir, 'NativeMessagingHosts', 'mcp_login_bridge.json'), 'utf8')) as { path: string; allowed_origins: string[] };
        expect(manifest.allowed_origins).toEqual([`chrome-extension://${DEV_EXTENSION_ID}/`]);
        expect(await readFile(manifest.path, 'utf8')).toContain(join(packageDir, 'dist', 'native-host', 'mcp-login-bridge.mjs'));
      },
    });
    // install told the user where the packaged extension is and that the store is the normal route.
    expect(installText).toContain(`folder: ${extensionFolder}`);
    expect(installText).toMatch(new RegExp(`store zip: ${join(packageDir, '.output').replace(/[.]/g, '\\.')}/mcp-login-bridge-[\\d.]+-chrome\\.zip`));
    expect(installText).toContain('Chrome Web Store (the normal route');
    expect(installText).toContain(`Load unpacked" → ${extensionFolder}`);
    // Loaded from the installed folder, with the id its manifest key pins (the harness checks it too).
    expect(browser.extensionId).toBe(DEV_EXTENSION_ID);

    const login = await authorizeInPopup(browser, mcp.url);
    expect(login.state, login.text).toBe('success');
    expect(provider.stats.authorizeRequests.at(-1)!.searchParams.get('access_type')).toBe('offline');

    // The installed CLI reads the login the installed host stored in the keychain.
    const token = await run(bin, ['token', mcp.url, '--json'], { env, cwd: world });
    expect(token.code, token.stderr).toBe(0);
    const printed = JSON.parse(token.stdout) as { accessToken: string };
    expect(printed.accessToken.length).toBeGreaterThan(20);
    // A server name takes `token` into token-lazy.cjs (the lookup among the clients' configs): it is
    // there, and finds the modules it shares with token.cjs. None is configured here, so a usage error.
    const byName = await run(bin, ['token', 'no-such-server'], { env, cwd: world });
    expect(byName.code, byName.stderr).toBe(2);
    expect(byName.stderr).toContain('"no-such-server" is neither a URL nor an MCP server configured in');
    const status = await run(bin, ['status', '--json'], { env, cwd: world });
    expect(JSON.parse(status.stdout)).toMatchObject({
      credentials: [{ serverUrl: mcp.url, refreshCapable: true, location: 'keychain service "mcp-login-bridge"' }],
    });
    expect(status.stdout).not.toContain(printed.accessToken);
  });
});

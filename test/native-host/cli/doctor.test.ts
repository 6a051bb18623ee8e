/**
 * `doctor` in process (its seam): the real checks against a temp home found from the command's env
 * (manifests, launcher, host config, the bridge's file store, runtime folder, clients), no keychain,
 * no build, no browser. Exit codes, the --json shape, the text people read.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDoctorCommand } from '../../../native-host/cli/doctor';
import { createInstallCommand } from '../../../native-host/cli/install';
import { clientAdapters } from '../../../native-host/clients/registry';
import { captureIO } from '../../helpers/command-io';
import { writeCodexConfig } from '../../helpers/credentials';
import { makeTestHome, type TestHome } from '../../helpers/test-home';

let home: TestHome;
let hostScript: string;

beforeEach(async () => {
  home = await makeTestHome();
  hostScript = join(home.root, 'pkg', 'dist', 'native-host', 'main.mjs');
  await mkdir(join(home.root, 'pkg', 'dist', 'native-host'), { recursive: true });
  await writeFile(hostScript, '');
});
afterEach(async () => {
  await home.remove();
});

async function doctor(...args: string[]) {
  const io = captureIO(home.env);
  const code = await createDoctorCommand({ adapters: clientAdapters({ env: home.env, projectDir: home.root, platform: 'linux' }) }).run(args, io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}
const install = (browser: string) => createInstallCommand({ hostScript: () => hostScript }).run(['--browser', browser], captureIO(home.env).io);
type Check = { id: string; status: string; message: string; fix?: string };

describe('doctor', () => {
  it('nothing installed: one line for the unregistered browsers, the failure that matters, exit 1', async () => {
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ok {4}node \S+ at \S+\n/);
    expect(r.stdout).toContain('info  not registered with chrome, chromium, edge, brave, vivaldi, firefox\n      tip: if you use one of them: mcp-login-bridge install --browser <name>\n');
    expect(r.stdout).toContain('FAIL  the host is registered with no browser, so the extension cannot reach it\n      fix: mcp-login-bridge install --browser <chrome|chromium|edge|brave|vivaldi|firefox>\n');
    expect(r.stdout).toContain(`ok    "store": "file": logins in ${home.credentialsDir}: 0 login(s) stored\n`);
    expect(r.stdout).toContain(`info  no browser host running (none announced in ${home.env.MCP_LOGIN_BRIDGE_RUNTIME_DIR}); "login" will use your default browser\n`);
    expect(r.stdout).toMatch(/Something needs fixing: see the FAIL lines above\.\n$/);
  });

  it('installed for one browser: its chain checks out, nothing to fix, exit 0; --json says the same', async () => {
    expect(await install('chromium')).toBe(0);
    await writeCodexConfig(home.env.CODEX_HOME!, [{ name: 'gm', url: 'https://mail.example.com/mcp' }]);
    const r = await doctor('--browser', 'chromium');
    expect(r.code).toBe(0);
    const manifest = join(home.env.XDG_CONFIG_HOME!, 'chromium', 'NativeMessagingHosts', 'mcp_login_bridge.json');
    const launcher = join(home.env.XDG_DATA_HOME!, 'mcp-login-bridge', 'native-host.sh');
    expect(r.stdout).toContain(`ok    chromium: ${manifest} → ${launcher} → node ${process.execPath}\n`);
    expect(r.stdout).toContain('ok    Codex: 1 server(s) configured (gm); logins are written there\n');
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout).toMatch(/\nNothing to fix\.\n$/);

    const json = await doctor('--browser', 'chromium', '--json');
    expect(json.code).toBe(0);
    const { ok, checks } = JSON.parse(json.stdout) as { ok: boolean; checks: Check[] };
    expect(ok).toBe(true);
    expect(checks.map((c) => c.id)).toEqual(['node', 'browser:chromium', 'config', 'keychain', 'bridge', 'client:codex', 'client:claude-code', 'client:gemini-cli', 'client:mcp-remote']);
    for (const c of checks) expect(Object.keys(c).every((k) => ['id', 'status', 'message', 'fix'].includes(k))).toBe(true);
  });

  it('a manifest that is not JSON and a host config that is not JSON: FAIL with the fix, exit 1', async () => {
    const manifest = join(home.env.XDG_CONFIG_HOME!, 'chromium', 'NativeMessagingHosts', 'mcp_login_bridge.json');
    await mkdir(join(manifest, '..'), { recursive: true });
    await writeFile(manifest, '{not json');
    await writeFile(home.configFile, '{"rules": [}');
    const r = await doctor('--browser', 'chromium');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL  chromium: ${manifest} is not valid JSON\n      fix: mcp-login-bridge install --browser chromium\n`);
    expect(r.stdout).toContain(`FAIL  config file ${home.configFile}: is not valid JSON`);
    const { ok, checks } = JSON.parse((await doctor('--browser', 'chromium', '--json')).stdout) as { ok: boolean; checks: Check[] };
    expect(ok).toBe(false);
    expect(checks.find((c) => c.id === 'browser:chromium')).toEqual({ id: 'browser:chromium', status: 'error', message: `chromium: ${manifest} is not valid JSON`, fix: 'mcp-login-bridge install --browser chromium' });
  });

  it('a launcher whose host bundle is gone is named', async () => {
    expect(await install('firefox')).toBe(0);
    const { rm } = await import('node:fs/promises');
    await rm(hostScript);
    const r = await doctor('--browser', 'firefox');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`FAIL  firefox: \\S+ uses \\S+native-host\\.sh, whose host ${hostScript.replace(/[.]/g, '\\.')} is gone`));
  });

  it('usage errors exit 2', async () => {
    const r = await doctor('--browser', 'netscape');
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toContain('unknown browser "netscape": use one of chrome, chromium, edge, brave, vivaldi, firefox');
    expect((await doctor('now')).code).toBe(2);
    expect(JSON.parse((await doctor('now', '--json')).stdout)).toMatchObject({ ok: false, error: { name: 'Usage', message: 'doctor takes no positional arguments' } });
  });
});

/**
 * `mcp-login-bridge doctor` through the binary, in a home of its own: one line for the browsers the
 * host is not registered with, and no "registered with no browser" failure next to a host a browser
 * started (the case of a profile started with --user-data-dir, which doctor cannot see by itself).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { assertHostBuilt, spawnNativeHost, type NativeClient, runCli, type CliRun } from '../../helpers/native-client';

let keyring: KeyringHarness;
let root: string;
let env: NodeJS.ProcessEnv;
const hosts: NativeClient[] = [];

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  root = await mkdtemp(join(tmpdir(), 'mlb-doctor-'));
  await mkdir(join(root, 'home'));
  env = { ...process.env, ...keyring.env, HOME: join(root, 'home'), XDG_CONFIG_HOME: join(root, 'home', '.config'), MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(root, 'runtime') };
});
afterAll(async () => {
  for (const h of hosts) await h.close();
  await keyring?.stop();
  await rm(root, { recursive: true, force: true });
});

function doctor(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return cli(env, 'doctor', ...args);
}

function cli(withEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> {
  return runCli(args, withEnv);
}

describe('doctor', () => {
  it('with nothing installed: one line for the unregistered browsers, and the failure that matters', async () => {
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.stdout.match(/not registered/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/info {2}not registered with chrome, chromium, edge, brave, vivaldi, firefox\n {6}tip: if you use one of them: mcp-login-bridge install --browser <name>/);
    expect(r.stdout).toContain('FAIL  the host is registered with no browser');
  });

  it('--browser keeps a line per browser the user named', async () => {
    const { checks } = JSON.parse((await doctor('--browser', 'chrome', '--browser', 'firefox', '--json')).stdout);
    expect(checks.filter((c: { id: string }) => c.id.startsWith('browser:')).map((c: { id: string }) => c.id)).toEqual(['browser:chrome', 'browser:firefox']);
  });

  it('a host a browser started (a --user-data-dir profile) is not contradicted by "registered with no browser"', async () => {
    const host = spawnNativeHost({ env });
    hosts.push(host);
    const runtime = join(root, 'runtime', `host-${host.child.pid}.json`);
    for (let i = 0; i < 500 && !existsSync(runtime); i++) await new Promise((r) => setTimeout(r, 20));
    const r = await doctor('--json');
    const { ok, checks } = JSON.parse(r.stdout);
    expect(checks.find((c: { id: string }) => c.id === 'browsers')).toMatchObject({ status: 'info', message: expect.stringContaining('registered for a profile started with --user-data-dir') });
    expect(checks.filter((c: { status: string }) => c.status === 'error')).toEqual([]);
    expect(checks.some((c: { id: string; status: string }) => c.id.startsWith('bridge:') && c.status === 'ok')).toBe(true);
    expect(ok).toBe(true);
    expect(r.code).toBe(0);
  });

  it('without a keychain: one readable line saying why, and the fix once (doctor), the reason on its own line (status)', async () => {
    const noBus = { ...env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' };
    const r = await cli(noBus, 'doctor');
    const line = r.stdout.split('\n').find((l) => l.startsWith('warn  no usable keychain'));
    expect(line, r.stdout).toMatch(/0 login\(s\) stored\. The keychain: Cannot reach the D-Bus session bus \(.*\), so keychain service "mcp-login-bridge" could not be listed$/);
    // The keychain's own advice is the fix line's job; not a second fix inside the message.
    expect(line).not.toMatch(/then retry|\(Cannot/);
    expect(r.stdout.split('\n')[r.stdout.split('\n').indexOf(line!) + 1]).toMatch(/^ {6}fix: to use the keychain/);

    const status = await cli(noBus, 'status');
    expect(status.code).toBe(0);
    expect(status.stderr).toMatch(/^Listing only the bridge's files in .+: the keychain cannot be reached\.\nCannot reach the D-Bus session bus .*could not be listed: start a session bus/);
  });
});

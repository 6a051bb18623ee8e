/**
 * `logout` in process (its seam): a file-backed bridge store and the client adapters in a temp
 * home, no keychain, no build, no provider (revocation is --no-revoke here; the process test
 * revokes at the fixture provider). Exit codes, the --json shape, the text, and what is left on disk.
 */
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogoutCommand } from '../../../native-host/cli/logout';
import { clientAdapters } from '../../../native-host/clients/registry';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { FileEntries } from '../../../native-host/stores/file-entries';
import { captureIO } from '../../helpers/command-io';
import { testCredential } from '../../helpers/credentials';
import { makeTestHome, type TestHome } from '../../helpers/test-home';

const URL_A = 'https://mail.example.com/mcp';
let home: TestHome;

beforeEach(async () => {
  home = await makeTestHome();
});
afterEach(async () => {
  await home.remove();
});

async function logout(...args: string[]) {
  const io = captureIO(home.env);
  const code = await createLogoutCommand({ adapters: clientAdapters({ env: home.env, projectDir: home.root, platform: 'linux' }) }).run(args, io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('logout', () => {
  it('removes the bridge entry and says it was not revoked with --no-revoke', async () => {
    await new BridgeStore({ env: home.env }).write(testCredential({ serverUrl: URL_A }));
    const file = new FileEntries(home.credentialsDir).pathFor(URL_A);
    expect(existsSync(file)).toBe(true);
    const r = await logout(URL_A, '--no-revoke');
    expect(r).toEqual({ code: 0, stderr: '', stdout: `Logged out of ${URL_A}: removed from file ${home.credentialsDir}\n  not revoked at the provider (--no-revoke)\n` });
    expect(existsSync(file)).toBe(false);
  });

  it('--json: what was removed and why nothing was revoked; never a token', async () => {
    await new BridgeStore({ env: home.env }).write(testCredential({ serverUrl: URL_A }));
    const r = await logout(URL_A, '--no-revoke', '--json');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('SECRET');
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      serverUrl: URL_A,
      removed: [{ target: 'bridge', location: `file ${home.credentialsDir}` }],
      revocation: { status: 'skipped', reason: '--no-revoke' },
    });
  });

  it('no login for that server: exit 4, in text and in JSON', async () => {
    const r = await logout(URL_A);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`mcp-login-bridge: Not logged in to ${URL_A} in the bridge's store; nothing to remove\nDetails: NotLoggedIn (404)\n`);
    const json = await logout(URL_A, '--json');
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { name: 'NotLoggedIn' } });
  });

  it('usage errors exit 2', async () => {
    expect((await logout()).code).toBe(2);
    const r = await logout(URL_A, '--client', 'vim');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown --client "vim": use bridge, codex, claude-code, gemini-cli or mcp-remote');
  });
});

/**
 * `status` in process (cli/status.ts's seam): a real file-backed bridge store and the real client
 * adapters in a temp home, no keychain, no build. Exit codes, the --json shape, the text people read.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStatusCommand, type StatusOptions } from '../../../native-host/cli/status';
import { clientAdapters } from '../../../native-host/clients/registry';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { FileEntries } from '../../../native-host/stores/file-entries';
import { captureIO } from '../../helpers/command-io';
import { testCredential, writeCodexConfig } from '../../helpers/credentials';
import { makeTestHome, type TestHome } from '../../helpers/test-home';

const NOW = 1_800_000_000_000;
const URL_A = 'https://mail.example.com/mcp';
let home: TestHome;

beforeEach(async () => {
  home = await makeTestHome();
});
afterEach(async () => {
  await home.remove();
});

/** The command as main runs it, but with this home's clients (their project folder is inside the home too). */
function status(...args: string[]) {
  const run = captureIO(home.env, { now: NOW });
  const command = createStatusCommand({ adapters: clientAdapters({ env: home.env, projectDir: home.root, platform: 'linux' }) });
  return command.run(args, run.io).then((code) => ({ code, stdout: run.stdout(), stderr: run.stderr() }));
}

const store = () => new BridgeStore({ env: home.env });

describe('status', () => {
  it('with no logins: says how to log in, exit 0, and --json lists nothing', async () => {
    const text = await status();
    expect(text).toEqual({ code: 0, stdout: 'No logins stored yet. Run: mcp-login-bridge login <server-url>\n', stderr: '' });
    const json = await status('--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: true,
      store: { mode: 'file', fileDir: home.credentialsDir },
      credentials: [],
      damaged: [],
      clients: [],
      clientProblems: [],
      connectUsers: [],
    });
  });

  it('a working login: where it is, its issuer, expiry and refresh, the clients that have the server, never a token', async () => {
    await store().write(testCredential({ serverUrl: URL_A, account: 'alex@example.com', expiresAt: NOW + 90 * 60_000, updatedAt: NOW - 1000 }));
    await writeCodexConfig(home.env.CODEX_HOME!, [{ name: 'gm', url: URL_A }]);
    await mkdir(join(home.env.HOME!, '.cursor'));
    await writeFile(join(home.env.HOME!, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { mail: { command: 'mcp-login-bridge', args: ['connect', URL_A] } } }));

    const r = await status();
    expect(r.code).toBe(0);
    const file = new FileEntries(home.credentialsDir).pathFor(URL_A);
    expect(r.stdout).toMatch(
      new RegExp(
        `^${URL_A}\\n  account: alex@example.com\\n  stored in: file ${file.replace(/[.]/g, '\\.')}\\n  issuer: https://accounts.example.com\\n` +
          `  access token: expires in 90 min \\(at [^)]+\\)\\n  refresh: yes, stays logged in\\n  used through connect by: Cursor \\(mail\\)\\n` +
          `Codex gm \\(${URL_A}\\): not logged in\\n$`,
      ),
    );
    expect(r.stderr).toBe('');

    const json = await status('--json');
    expect(json.code).toBe(0);
    expect(json.stdout).not.toContain('SECRET');
    const body = JSON.parse(json.stdout);
    expect(body.credentials).toEqual([
      expect.objectContaining({ serverUrl: URL_A, account: 'alex@example.com', refreshCapable: true, expiresAt: NOW + 90 * 60_000, expiresAtIso: new Date(NOW + 90 * 60_000).toISOString(), location: `file ${file}` }),
    ]);
    expect(body.clients).toEqual([expect.objectContaining({ client: 'codex', server: 'gm', serverUrl: URL_A, loggedIn: false })]);
    expect(body.connectUsers).toEqual([{ client: 'Cursor', name: 'mail', serverUrl: URL_A, file: join(home.env.HOME!, '.cursor', 'mcp.json') }]);
  });

  it('every login broken (expired without a refresh token, and an unreadable entry): exit 1 and why', async () => {
    await store().write(testCredential({ serverUrl: URL_A, refreshToken: undefined, expiresAt: NOW - 60_000, updatedAt: NOW - 3_660_000 }));
    const damaged = new FileEntries(home.credentialsDir).pathFor('https://broken.example.com/mcp');
    await writeFile(damaged, JSON.stringify({ version: 1, serverUrl: 'https://broken.example.com/mcp', issuer: 5 }), { mode: 0o600 });

    const r = await status();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${URL_A}\n`);
    expect(r.stdout).toMatch(/ {2}access token: expired at .+\n {2}refresh: NO: no refresh token was issued at login/);
    expect(r.stderr).toContain('Unreadable entry for https://broken.example.com/mcp: ');
    expect(r.stderr).toContain('is unusable: "resource" is missing');
    expect(r.stderr).toMatch(/None of your logins works any more: log in again \(mcp-login-bridge login <server-url>\)\.\n$/);

    const json = await status('--json');
    expect(json.code).toBe(1);
    const body = JSON.parse(json.stdout);
    expect(body.ok).toBe(true);
    expect(body.credentials).toEqual([expect.objectContaining({ serverUrl: URL_A, refreshCapable: false })]);
    expect(body.damaged).toEqual([{ serverUrl: 'https://broken.example.com/mcp', error: expect.stringContaining('is unusable') }]);
  });

  it('one working login among broken ones is enough for exit 0', async () => {
    await store().write(testCredential({ serverUrl: URL_A, refreshToken: undefined, expiresAt: NOW - 60_000 }));
    await store().write(testCredential({ serverUrl: 'https://ok.example.com/mcp' }));
    expect((await status()).code).toBe(0);
  });

  it('a client config it cannot read is named on stderr and in clientProblems', async () => {
    await mkdir(home.env.CODEX_HOME!, { recursive: true });
    await writeFile(join(home.env.CODEX_HOME!, 'config.toml'), '[mcp_servers.gm]\nurl = 5\n');
    const r = await status();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('[mcp_servers.gm].url must be a string');
    const body = JSON.parse((await status('--json')).stdout);
    expect(body.clientProblems).toEqual([{ target: 'codex', kind: 'config-unreadable', message: expect.stringContaining('[mcp_servers.gm].url must be a string') }]);
  });

  it('usage errors exit 2, in text and in JSON', async () => {
    const extra = await status('gmail');
    expect(extra).toMatchObject({ code: 2, stdout: '' });
    expect(extra.stderr).toBe('mcp-login-bridge: status takes no arguments\nRun "mcp-login-bridge --help" for usage.\n');
    const typo = await status('--jsn');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Did you mean --json?');
    const json = await status('extra', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { name: 'Usage', message: 'status takes no arguments' } });
  });

  it('--help prints the help and reads nothing', async () => {
    let ran = false;
    const run = captureIO(home.env);
    const code = await createStatusCommand({}, async () => ((ran = true), 0)).run(['--help'], run.io);
    expect(code).toBe(0);
    expect(run.stdout()).toMatch(/^Usage: mcp-login-bridge status \[--json\]\n/);
    expect(ran).toBe(false);
  });

  it('parses into options: --json, the I/O given, the dependencies replaced', async () => {
    const seen: StatusOptions[] = [];
    const adapters = clientAdapters({ env: home.env });
    const run = captureIO(home.env);
    const code = await createStatusCommand({ adapters }, async (o) => (seen.push(o), 7)).run(['--json'], run.io);
    expect(code).toBe(7);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ json: true, io: run.io, adapters });
  });
});

/**
 * `status`'s view of which desktop clients run `connect`: the entries client-setup.ts prints (and
 * the README shows) are found again in each client's own file, per OS; other servers are not.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETUP_CLIENTS } from '../../../native-host/connect/client-setup';
import { connectConfigFiles, connectTarget, findConnectUsers } from '../../../native-host/connect/connect-users';

const URL_A = 'https://a.example/mcp';
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'mlb-connect-users-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('connect users', () => {
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    it(`finds the set-up entries connect --help prints, in each client's file (${platform})`, async () => {
      const dir = join(home, platform);
      const options = { home: dir, platform, env: {} };
      const files = connectConfigFiles(options);
      expect(files.map((f) => f.client)).toEqual(SETUP_CLIENTS.map((c) => c.name));
      for (const [i, client] of SETUP_CLIENTS.entries()) {
        const entry = client.entry('a-example', '/usr/bin/node', ['/opt/mlb/dist/native-host/mcp-login-bridge.mjs', 'connect', URL_A]) as Record<string, Record<string, unknown>>;
        // Beside it, a server that is not ours (mcp-remote) and one that is HTTP.
        const key = files[i]!.key;
        entry[key]!.other = { command: 'npx', args: ['mcp-remote', 'https://b.example/mcp'] };
        entry[key]!.http = { type: 'http', url: 'https://c.example/mcp' };
        await mkdir(dirname(files[i]!.file), { recursive: true });
        const text = JSON.stringify(entry, null, 2);
        // VS Code's file may carry comments and trailing commas.
        await writeFile(files[i]!.file, client.name === 'VS Code' ? `// my servers\n${text.replace(/\n}$/, ',\n}')}` : text);
      }
      const users = await findConnectUsers(options);
      expect(users.map((u) => [u.client, u.name, u.serverUrl])).toEqual(SETUP_CLIENTS.map((c) => [c.name, 'a-example', URL_A]));
    });
  }

  it('counts only mcp-login-bridge running connect or proxy with a URL', () => {
    expect(connectTarget({ command: 'mcp-login-bridge', args: ['proxy', URL_A] })).toBe(URL_A);
    expect(connectTarget({ command: 'C:\\tools\\mcp-login-bridge.cmd', args: ['connect', URL_A] })).toBe(URL_A);
    expect(connectTarget({ command: 'mcp-login-bridge', args: ['token', URL_A] })).toBeUndefined();
    expect(connectTarget({ command: 'other', args: ['connect', URL_A] })).toBeUndefined();
    expect(connectTarget({ command: 'mcp-login-bridge', args: ['connect', '--no-login'] })).toBeUndefined();
    expect(connectTarget({ command: 'mcp-login-bridge', args: ['connect', '--login-timeout', '60', URL_A] })).toBe(URL_A);
    expect(connectTarget('mcp-login-bridge connect')).toBeUndefined();
  });
});

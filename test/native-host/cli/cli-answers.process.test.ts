/**
 * What the CLI answers in the small cases a person meets first, through the built binary with a
 * real keyring: `status` exits 1 when every login is broken (as `gh auth status` does), `token`
 * takes a server name like `login`, a URL one slash off points at the URL that is logged in,
 * `install --user-data-dir` refuses a folder that does not exist instead of creating it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import type { StoredCredential } from '../../../native-host/stores/credential';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { assertHostBuilt, runCli, type CliRun } from '../../helpers/native-client';
import { testCredential, writeCodexConfig } from '../../helpers/credentials';

let keyring: KeyringHarness;
let restoreEnv: () => void;
let env: NodeJS.ProcessEnv;
let home: string;

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  home = await mkdtemp(join(tmpdir(), 'mlb-cli-answers-'));
  // A home of its own: no Codex or Claude Code config of the machine's user leaks in.
  env = { ...process.env, ...keyring.env, HOME: home, CODEX_HOME: join(home, '.codex'), CLAUDE_CONFIG_DIR: join(home, '.claude') };
});
afterAll(async () => {
  restoreEnv?.();
  await keyring?.stop();
  await rm(home, { recursive: true, force: true });
});

const store = new BridgeStore();
beforeEach(async () => {
  for (const c of await store.list()) await store.delete(c.serverUrl);
});

function credential(serverUrl: string, over: Partial<StoredCredential> = {}): StoredCredential {
  const now = Date.now();
  return testCredential({ serverUrl, issuer: 'https://issuer.example', clientId: 'client', accessToken: `at-${serverUrl.length}-secret`, refreshToken: undefined, expiresAt: now + 3_600_000, scope: 'openid', updatedAt: now, ...over });
}

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, env);
}

describe('status exit code', () => {
  it('is 1 when every stored login is broken, 0 as soon as one works', async () => {
    await store.write(credential('https://a.example/mcp', { expiresAt: Date.now() - 60_000 }));
    await store.write(credential('https://b.example/mcp', { refreshToken: 'rt-secret', loginNeeded: true }));
    const broken = await cli('status');
    expect(broken.code, broken.stderr).toBe(1);
    expect(broken.stderr).toContain('None of your logins works any more');
    expect((await cli('status', '--json')).code).toBe(1);

    await store.write(credential('https://c.example/mcp', { refreshToken: 'rt-secret' }));
    const one = await cli('status');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout + one.stderr).not.toContain('secret');
  });

  it('is 0 with no logins at all (nothing is broken)', async () => {
    expect((await cli('status')).code).toBe(0);
  });

  it('names the account of each login, as gh auth status does; --json carries it too', async () => {
    await store.write(credential('https://a.example/mcp', { refreshToken: 'rt-secret', account: 'alex@example.com' }));
    await store.write(credential('https://b.example/mcp', { refreshToken: 'rt-secret' }));
    const r = await cli('status');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('https://a.example/mcp\n  account: alex@example.com\n');
    // A provider that named no account: no account line rather than a guess.
    expect(r.stdout).toMatch(/https:\/\/b\.example\/mcp\n  stored in:/);
    const json = JSON.parse((await cli('status', '--json')).stdout);
    expect(json.credentials.map((c: { serverUrl: string; account?: string }) => [c.serverUrl, c.account])).toEqual(
      expect.arrayContaining([['https://a.example/mcp', 'alex@example.com'], ['https://b.example/mcp', undefined]]),
    );
  });

  it('shows times as local time for people, never ISO with milliseconds', async () => {
    await store.write(credential('https://a.example/mcp', { refreshToken: 'rt-secret', expiresAt: Date.now() + 30 * 60_000 }));
    const r = await cli('status');
    expect(r.stdout).toMatch(/access token: expires in (29|30) min \(at \d{1,2}:\d\d/);
    expect(r.stdout).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });
});

describe('token', () => {
  it('takes a server name configured in Codex, as login does', async () => {
    const url = 'https://mail.example/mcp';
    await store.write(credential(url));
    await writeCodexConfig(join(home, '.codex'), [{ name: 'gmail', url }], null);
    const r = await cli('token', 'gmail');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${credential(url).accessToken}\n`);
    const unknown = await cli('token', 'gmial');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('which have: gmail');
  });

  it('a URL only a trailing slash away names the URL that is logged in', async () => {
    await store.write(credential('https://a.example/mcp'));
    const r = await cli('token', 'https://a.example/mcp/');
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('Not logged in to https://a.example/mcp/, but to https://a.example/mcp; use exactly that URL: mcp-login-bridge token https://a.example/mcp');
    expect(r.stderr).not.toContain('secret');
  });
});

describe('install --user-data-dir', () => {
  it('refuses a folder that does not exist, and creates nothing', async () => {
    const missing = join(home, 'no-such-profile');
    const r = await cli('install', '--browser', 'chromium', '--user-data-dir', missing);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--user-data-dir ${missing} does not exist`);
    expect(r.stderr).toContain('start chromium once with --user-data-dir');
    expect(existsSync(missing)).toBe(false);
  });
});

/**
 * BridgeStore against a real Secret Service (gnome-keyring on a private D-Bus bus, see
 * test/fixtures/keyring-harness.ts).
 *
 * Cases with a broken bus address run in a child process: the libdbus inside @napi-rs/keyring keeps
 * the first DBUS_SESSION_BUS_ADDRESS a process used, so changing process.env here would not move
 * it (and a bad address used first would poison every later test in this file).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredCredential } from '../../../native-host/stores/credential';
import { BRIDGE_KEYCHAIN_SERVICE, BridgeStore } from '../../../native-host/stores/bridge-store';
import { keyringSet } from '../../../native-host/stores/keyring-entry';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { credentialSeries } from '../../helpers/credentials';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BRIDGE_STORE_URL = pathToFileURL(fileURLToPath(new URL('../../../native-host/stores/bridge-store.ts', import.meta.url))).href;

const credential = credentialSeries((serial) => ({ accessToken: `at-SECRET-${serial}-${'x'.repeat(40)}` }));

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

function secretTool(env: Record<string, string>, args: string[], input?: string | Buffer) {
  const result = spawnSync('secret-tool', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, input, timeout: 10_000 });
  return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/**
 * Runs `body` (ESM, BridgeStore in scope, made with `options`) in a fresh Node with `env`; returns
 * what it printed as JSON.
 */
function inChild(env: Record<string, string | undefined>, body: string, options: object = { mode: 'keychain' }): unknown {
  const code = `
    const { BridgeStore } = await import(${JSON.stringify(BRIDGE_STORE_URL)});
    const store = new BridgeStore(${JSON.stringify(options)});
    try {
      const value = await (async () => { ${body} })();
      console.log(JSON.stringify({ ok: true, value }));
    } catch (e) {
      console.log(JSON.stringify({ ok: false, code: e.code, message: e.message }));
    }`;
  const cleanEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...cleanEnv },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`child failed (status ${result.status}): ${result.stderr}`);
  return JSON.parse(line);
}

describe('BridgeStore on a real Secret Service', () => {
  let harness: KeyringHarness;
  let restoreEnv: () => void;
  // "store": "keychain": these tests are about the keychain itself; the "auto" fallback is below.
  const store = new BridgeStore({ mode: 'keychain' });

  beforeAll(async () => {
    harness = await startKeyring();
    restoreEnv = harness.applyToProcess();
  });

  afterAll(async () => {
    restoreEnv?.();
    await harness?.stop();
  });

  it('describes where entries live', () => {
    expect(store.name).toBe('bridge');
    expect(store.describe()).toBe('keychain service "mcp-login-bridge"');
  });

  it('reads back exactly what it wrote', async () => {
    const full = credential({ clientSecret: 'cs-SECRET', tokenEndpointAuthMethod: 'client_secret_basic', loginNeeded: true });
    const minimal = credential({ refreshToken: undefined, expiresAt: null, scope: '' });
    delete minimal.refreshToken;
    await store.write(full);
    await store.write(minimal);
    expect(await store.read(full.serverUrl)).toEqual(full);
    expect(await store.read(minimal.serverUrl)).toEqual(minimal);
  });

  it('returns undefined for a server it has nothing for', async () => {
    expect(await store.read('https://never-logged-in.example.com/mcp')).toBeUndefined();
  });

  it('lists every entry', async () => {
    const a = credential();
    const b = credential();
    await store.write(a);
    await store.write(b);
    const listed = await store.list();
    expect(listed).toContainEqual(a);
    expect(listed).toContainEqual(b);
  });

  it('overwrites in place: one item per server', async () => {
    const first = credential();
    const second = { ...first, accessToken: 'at-SECRET-rotated', refreshToken: 'rt-SECRET-rotated', updatedAt: first.updatedAt + 1 };
    await store.write(first);
    await store.write(second);
    expect(await store.read(first.serverUrl)).toEqual(second);
    expect((await store.list()).filter((c) => c.serverUrl === first.serverUrl)).toEqual([second]);
    const found = secretTool(harness.env, ['search', '--all', 'service', BRIDGE_KEYCHAIN_SERVICE, 'username', first.serverUrl]);
    expect(found.stdout.match(/^secret = /gm)).toHaveLength(1);
  });

  it('deletes, and says whether something was removed', async () => {
    const c = credential();
    await store.write(c);
    expect(await store.delete(c.serverUrl)).toBe(true);
    expect(await store.read(c.serverUrl)).toBeUndefined();
    expect(await store.delete(c.serverUrl)).toBe(false);
    expect((await store.list()).map((x) => x.serverUrl)).not.toContain(c.serverUrl);
  });

  it('keeps servers apart, even URLs that differ only by a trailing slash', async () => {
    const a = credential({ serverUrl: 'https://same.example.com/mcp' });
    const b = credential({ serverUrl: 'https://same.example.com/mcp/' });
    await store.write(a);
    await store.write(b);
    expect(await store.read(a.serverUrl)).toEqual(a);
    expect(await store.read(b.serverUrl)).toEqual(b);
    expect(await store.delete(b.serverUrl)).toBe(true);
    expect(await store.read(a.serverUrl)).toEqual(a);
  });

  it('stores in the Secret Service, where secret-tool sees it', async () => {
    const c = credential();
    await store.write(c);
    const found = secretTool(harness.env, ['search', '--all', 'service', BRIDGE_KEYCHAIN_SERVICE, 'username', c.serverUrl]);
    expect(found.status).toBe(0);
    // secret-tool prints attributes on stderr and the rest on stdout.
    expect(found.stderr).toContain(`attribute.service = ${BRIDGE_KEYCHAIN_SERVICE}`);
    expect(found.stderr).toContain(`attribute.username = ${c.serverUrl}`);
    const secret = /^secret = (.*)$/m.exec(found.stdout)?.[1];
    expect(secret).toBeDefined();
    expect(JSON.parse(secret!)).toEqual({ version: 1, ...c });
    expect(secret!.startsWith('{"version":1,')).toBe(true);
  });

  it("with Windows' item limit applied, a long entry is split over real items and delete removes them all", async () => {
    const windowsLayout = new BridgeStore({ platform: 'win32' });
    const c = credential({ accessToken: `at-SECRET-${'J'.repeat(2000)}` });
    await windowsLayout.write(c);
    const accounts = [c.serverUrl, `${c.serverUrl}#part-a-1`, `${c.serverUrl}#part-a-2`];
    const secrets = accounts.map((account) => {
      const found = secretTool(harness.env, ['search', '--all', 'service', BRIDGE_KEYCHAIN_SERVICE, 'username', account]);
      return /^secret = (.*)$/m.exec(found.stdout)?.[1];
    });
    for (const secret of secrets) expect(secret?.length).toBeLessThanOrEqual(1280);
    expect(JSON.parse(secrets[0]!)).toMatchObject({ version: 2, layout: 'split', set: 'a', parts: 2 });
    expect(await windowsLayout.read(c.serverUrl)).toEqual(c);
    const scan = await windowsLayout.scan();
    expect(scan.credentials.filter((x) => x.serverUrl === c.serverUrl)).toEqual([c]);
    expect(scan.invalid.map((i) => i.serverUrl).filter((u) => u.startsWith(c.serverUrl))).toEqual([]);
    expect(await windowsLayout.delete(c.serverUrl)).toBe(true);
    for (const account of accounts) {
      const found = secretTool(harness.env, ['search', '--all', 'service', BRIDGE_KEYCHAIN_SERVICE, 'username', account]);
      expect(found.stdout).not.toMatch(/^secret = /m);
    }
  });

  it('rejects a corrupt entry with StoreFailed naming the problem, never the secret', async () => {
    const url = 'https://corrupt.example.com/mcp';
    expect(secretTool(harness.env, ['store', '--label=corrupt', 'service', BRIDGE_KEYCHAIN_SERVICE, 'username', url], 'not json at-SECRET-corrupt').status).toBe(0);
    const notJson = await rejection(store.read(url));
    expect(notJson.code).toBe(ErrorCode.StoreFailed);
    expect(notJson.message).toContain(url);
    expect(notJson.message).toMatch(/not valid JSON/);
    expect(notJson.message).not.toContain('SECRET');

    const foreign = JSON.stringify({ version: 1, serverUrl: url, refresh_token: 'rt-SECRET-foreign' });
    await keyringSet({ service: BRIDGE_KEYCHAIN_SERVICE, account: url }, foreign);
    const missing = await rejection(store.read(url));
    expect(missing.code).toBe(ErrorCode.StoreFailed);
    expect(missing.message).toMatch(/"resource" is missing/);
    expect(missing.message).not.toContain('SECRET');
    await store.delete(url);
  });

  it('rejects an entry stored under another server URL', async () => {
    const c = credential();
    const other = 'https://moved.example.com/mcp';
    await keyringSet({ service: BRIDGE_KEYCHAIN_SERVICE, account: other }, JSON.stringify({ version: 1, ...c }));
    const error = await rejection(store.read(other));
    expect(error.code).toBe(ErrorCode.StoreFailed);
    expect(error.message).toMatch(/"serverUrl" does not match/);
    expect(error.message).not.toContain('SECRET');
    await store.delete(other);
  });

  it('rejects a secret that is not text', async () => {
    const url = 'https://binary.example.com/mcp';
    secretTool(harness.env, ['store', '--label=binary', 'service', BRIDGE_KEYCHAIN_SERVICE, 'username', url], Buffer.from([0xff, 0xfe, 0x00, 0x80]));
    const error = await rejection(store.read(url));
    expect(error.code).toBe(ErrorCode.StoreFailed);
    expect(error.message).toContain(url);
    expect(await store.delete(url)).toBe(true);
  });

  it('reports two items for one server as StoreFailed with how to fix it', async () => {
    const url = 'https://twice.example.com/mcp';
    const args = ['service', BRIDGE_KEYCHAIN_SERVICE, 'username', url];
    secretTool(harness.env, ['store', '--label=one', ...args], 'one');
    secretTool(harness.env, ['store', '--label=two', ...args, 'extra', '1'], 'two');
    const error = await rejection(store.read(url));
    expect(error.code).toBe(ErrorCode.StoreFailed);
    expect(error.message).toMatch(/More than one item/);
    expect(error.message).toContain(`secret-tool clear service 'mcp-login-bridge' username '${url}'`);
    expect(secretTool(harness.env, ['clear', ...args]).status).toBe(0);
    expect(await store.read(url)).toBeUndefined();
  });

  it('list skips damaged entries, scan reports them without secrets', async () => {
    const good = credential();
    const bad = 'https://damaged.example.com/mcp';
    await store.write(good);
    await keyringSet({ service: BRIDGE_KEYCHAIN_SERVICE, account: bad }, JSON.stringify({ version: 1, accessToken: 'at-SECRET-damaged' }));
    expect(await store.list()).toContainEqual(good);
    expect((await store.list()).map((c) => c.serverUrl)).not.toContain(bad);
    const scan = await store.scan();
    expect(scan.credentials).toContainEqual(good);
    const damaged = scan.invalid.find((i) => i.serverUrl === bad);
    expect(damaged?.error.code).toBe(ErrorCode.StoreFailed);
    expect(damaged?.error.message).toMatch(/"serverUrl" is missing/);
    expect(damaged?.error.message).not.toContain('SECRET');
    await store.delete(bad);
  });

  it('refuses to write a credential it could not read back', async () => {
    const c = credential({ expiresAt: Number.NaN });
    const error = await rejection(store.write(c));
    expect(error.code).toBe(ErrorCode.StoreFailed);
    expect(error.message).toMatch(/"expiresAt"/);
    expect(error.message).not.toContain('SECRET');
    expect(await store.read(c.serverUrl)).toBeUndefined();
  });

  it('a fresh process with the harness env reads what this one wrote', async () => {
    const c = credential();
    await store.write(c);
    const result = inChild(harness.env, `return await store.read(${JSON.stringify(c.serverUrl)});`);
    expect(result).toEqual({ ok: true, value: c });
  });

  it('with the bus address pointing nowhere: KeychainUnavailable, and nothing written anywhere', async () => {
    const c = credential();
    const result = inChild(
      { ...harness.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' },
      `await store.write(${JSON.stringify(c)}); return 'written';`,
    ) as { ok: boolean; code?: number; message?: string };
    expect(result.ok).toBe(false);
    expect(result.code).toBe(ErrorCode.KeychainUnavailable);
    expect(result.message).toContain('DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent');
    expect(result.message).toMatch(/start a session bus and a Secret Service/);
    expect(result.message).not.toContain('SECRET');
    // Not in our Secret Service either (a silent fallback would have "succeeded" elsewhere).
    expect(await store.read(c.serverUrl)).toBeUndefined();
  });

  it('with no session bus address at all: KeychainUnavailable for read, write and list', async () => {
    const env = { ...harness.env, DBUS_SESSION_BUS_ADDRESS: undefined };
    const c = credential();
    for (const body of [
      `return await store.read(${JSON.stringify(c.serverUrl)});`,
      `await store.write(${JSON.stringify(c)}); return 'written';`,
      'return await store.list();',
    ]) {
      const result = inChild(env, body) as { ok: boolean; code?: number; message?: string };
      expect(result).toMatchObject({ ok: false, code: ErrorCode.KeychainUnavailable });
      expect(result.message).toMatch(/No D-Bus session bus \(DBUS_SESSION_BUS_ADDRESS=\(unset\)\)/);
      expect(result.message).not.toContain('SECRET');
    }
    expect(await store.read(c.serverUrl)).toBeUndefined();
  });
});

// Runs after the describe above has stopped its harness: one harness per process at a time.
describe('BridgeStore when the Secret Service is missing or locked', () => {
  it('a bus without a Secret Service: KeychainUnavailable saying to start one', async () => {
    const harness = await startKeyring({ secretService: false });
    const restoreEnv = harness.applyToProcess();
    try {
      const store = new BridgeStore({ mode: 'keychain' });
      for (const attempt of [
        () => store.read('https://a.example.com/mcp'),
        () => store.write(credential()),
        () => store.delete('https://a.example.com/mcp'),
        () => store.list(),
      ]) {
        const error = await rejection(attempt());
        expect(error.code).toBe(ErrorCode.KeychainUnavailable);
        expect(error.message).toMatch(/^No Secret Service on the D-Bus session bus \(DBUS_SESSION_BUS_ADDRESS=unix:path=/);
        expect(error.message).toMatch(/start gnome-keyring-daemon or another Secret Service, then retry/);
        expect(error.message).not.toContain('SECRET');
      }
    } finally {
      restoreEnv();
      await harness.stop();
    }
  });

  it('a locked keyring: KeychainUnavailable saying to unlock it', async () => {
    const harness = await startKeyring();
    const restoreEnv = harness.applyToProcess();
    try {
      const store = new BridgeStore({ mode: 'keychain' });
      const c = credential();
      await store.write(c);
      const lock = spawnSync(
        'dbus-send',
        ['--session', '--print-reply', '--dest=org.freedesktop.secrets', '/org/freedesktop/secrets',
          'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login'],
        { env: { PATH: process.env.PATH ?? '', ...harness.env }, encoding: 'utf8', timeout: 10_000 },
      );
      expect(lock.status).toBe(0);
      for (const attempt of [() => store.read(c.serverUrl), () => store.write(c), () => store.list()]) {
        const error = await rejection(attempt());
        expect(error.code).toBe(ErrorCode.KeychainUnavailable);
        expect(error.message).toMatch(/locked/);
        expect(error.message).not.toContain('SECRET');
      }
    } finally {
      restoreEnv();
      await harness.stop();
    }
  });
});

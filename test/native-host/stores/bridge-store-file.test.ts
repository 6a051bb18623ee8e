/**
 * BridgeStore's two backings and the "store" setting, with an in-memory keychain that can be made
 * unreachable (as @napi-rs/keyring is without a session bus) and real files in a temp folder.
 * The real no-D-Bus case runs end to end in test/e2e/headless-login.e2e.test.ts.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import type { StoredCredential } from '../../../native-host/stores/credential';
import type { KeyringCredential, KeyringItemId } from '../../../native-host/stores/keyring-entry';
import type { Keychain } from '../../../native-host/stores/split-keychain';
import { readStoreSetting } from '../../../native-host/stores/store-setting';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { credentialSeries } from '../../helpers/credentials';

class FakeKeychain implements Keychain {
  readonly items = new Map<string, string>();
  reachable = true;
  private check(): void {
    if (!this.reachable) throw new ProtocolError(ErrorCode.KeychainUnavailable, 'No D-Bus session bus (DBUS_SESSION_BUS_ADDRESS=(unset)), so the Secret Service cannot be reached: run inside a desktop session');
  }
  private key(id: KeyringItemId): string {
    return `${id.service}\n${id.account}`;
  }
  async get(id: KeyringItemId) {
    this.check();
    return this.items.get(this.key(id));
  }
  async set(id: KeyringItemId, secret: string) {
    this.check();
    this.items.set(this.key(id), secret);
  }
  async delete(id: KeyringItemId) {
    this.check();
    return this.items.delete(this.key(id));
  }
  async list(service: string): Promise<KeyringCredential[]> {
    this.check();
    return [...this.items].filter(([k]) => k.startsWith(`${service}\n`)).map(([k, secret]) => ({ account: k.slice(service.length + 1), secret }));
  }
}

const root = mkdtempSync(join(tmpdir(), 'mlb-bridge-file-'));
afterAll(() => {
  chmodSync(root, 0o700);
  rmSync(root, { recursive: true, force: true });
});
const credential = credentialSeries(() => ({ expiresAt: 1_800_000_000_000, scope: 'openid', updatedAt: 1_700_000_000_000 }));
function setup(mode: 'auto' | 'file' | 'keychain') {
  const keychain = new FakeKeychain();
  const warnings: string[] = [];
  const fileDir = join(mkdtempSync(join(root, 'case-')), 'state', 'credentials');
  const store = new BridgeStore({ keychain, mode, fileDir, warn: (line) => warnings.push(line) });
  return { keychain, warnings, fileDir, store };
}

describe('"store": "auto"', () => {
  it('uses the keychain when it is reachable: no file, no warning', async () => {
    const { store, keychain, warnings, fileDir } = setup('auto');
    const c = credential();
    expect(await store.checkWritable()).toEqual({ backing: 'keychain', location: 'keychain service "mcp-login-bridge"' });
    expect(await store.writeWithLocation(c)).toMatchObject({ backing: 'keychain' });
    expect(keychain.items.get(`mcp-login-bridge\n${c.serverUrl}`)).toContain(c.accessToken);
    // The write check's probe item is gone again, and was never under our service.
    expect([...keychain.items.keys()].filter((k) => k.includes('write-check'))).toEqual([]);
    expect(() => readdirSync(fileDir)).toThrow(/ENOENT/);
    expect(warnings).toEqual([]);
  });

  it('without a keychain: a 0600 file in a 0700 folder, a warning on every write, read and listed from there', async () => {
    const { store, keychain, warnings, fileDir } = setup('auto');
    keychain.reachable = false;
    const c = credential();
    expect(await store.checkWritable()).toEqual({ backing: 'file', location: `file ${fileDir}` });
    const where = await store.writeWithLocation(c);
    expect(where.backing).toBe('file');
    const [name] = readdirSync(fileDir);
    const path = join(fileDir, name!);
    expect(where.location).toBe(`file ${path}`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(fileDir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1, serverUrl: c.serverUrl, accessToken: c.accessToken });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).toMatch(/no usable keychain \(No D-Bus session bus/);
    expect(warnings[0]).not.toContain('SECRET');
    await store.write({ ...c, accessToken: 'at-SECRET-2' });
    expect(warnings).toHaveLength(2);

    expect(await store.read(c.serverUrl)).toEqual({ ...c, accessToken: 'at-SECRET-2' });
    expect(store.describe()).toBe(`file ${path}`);
    const scan = await store.scan();
    expect(scan.credentials.map((x) => x.serverUrl)).toEqual([c.serverUrl]);
    expect(scan.locations.get(c.serverUrl)).toEqual({ backing: 'file', location: `file ${path}` });
    expect(scan.keychainProblem).toMatch(/No D-Bus session bus/);

    // The keychain comes back: reads still find the file entry; the next write moves it there.
    keychain.reachable = true;
    expect((await store.readWithLocation(c.serverUrl))?.where.backing).toBe('file');
    await store.write(c);
    expect(readdirSync(fileDir)).toEqual([]);
    expect((await store.readWithLocation(c.serverUrl))?.where.backing).toBe('keychain');
    expect(await store.delete(c.serverUrl)).toBe(true);
    expect(await store.read(c.serverUrl)).toBeUndefined();
  });

  it('a folder that cannot be written fails the check with the folder, the reason and the fix', async () => {
    const { store, keychain, fileDir } = setup('auto');
    keychain.reachable = false;
    const parent = join(fileDir, '..', '..');
    chmodSync(parent, 0o500);
    try {
      // root ignores mode bits: then a file where the folder should be makes it unwritable.
      if (process.getuid?.() === 0) {
        chmodSync(parent, 0o700);
        writeFileSync(join(parent, 'state'), 'not a folder');
      }
      const error = await store.checkWritable().then(
        () => undefined,
        (e: unknown) => e as ProtocolError,
      );
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error!.code).toBe(ErrorCode.StoreFailed);
      expect(error!.message).toContain(fileDir);
      expect(error!.message).toMatch(/make .* writable/);
    } finally {
      chmodSync(parent, 0o700);
    }
  });

  it('a file whose name does not match the server it holds is damaged, never another server\'s entry', async () => {
    const { store, keychain, fileDir } = setup('auto');
    keychain.reachable = false;
    const a = credential();
    const b = credential();
    const pathA = (await store.writeWithLocation(a)).location.replace(/^file /, '');
    await store.write(b);
    // b's file replaced by a copy of a's entry.
    const pathB = join(fileDir, readdirSync(fileDir).find((n) => join(fileDir, n) !== pathA)!);
    writeFileSync(pathB, readFileSync(pathA));
    const scan = await store.scan();
    expect(scan.credentials.map((c) => c.serverUrl)).toEqual([a.serverUrl]);
    expect(scan.invalid).toHaveLength(1);
    expect(scan.invalid[0]!.error.message).toMatch(/file name does not match/);
    await expect(store.read(b.serverUrl)).rejects.toThrow(/does not match the file it is stored under/);
  });
});

describe('"store": "file" and "keychain"', () => {
  it('"file" never touches the keychain and warns on every write', async () => {
    const { store, keychain, warnings } = setup('file');
    const c = credential();
    await store.write(c);
    expect(keychain.items.size).toBe(0);
    expect(warnings[0]).toMatch(/"store": "file"/);
    expect(await store.read(c.serverUrl)).toEqual(c);
  });

  it('"keychain" without one: the check fails saying what "auto" would do; nothing goes to a file', async () => {
    const { store, keychain, fileDir } = setup('keychain');
    keychain.reachable = false;
    await expect(store.checkWritable()).rejects.toThrow(/"store": "keychain"; "auto" would use a 0600 file/);
    await expect(store.write(credential())).rejects.toMatchObject({ code: ErrorCode.KeychainUnavailable });
    expect(() => readdirSync(fileDir)).toThrow(/ENOENT/);
  });

  it('rescue keeps a credential in the file whatever the setting', async () => {
    const { store, fileDir } = setup('keychain');
    const c = credential();
    const path = await store.rescue(c);
    expect(path.startsWith(fileDir)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8')).refreshToken).toBe(c.refreshToken);
  });
});

describe('the "store" setting in the host config', () => {
  it('defaults to auto, takes the three values, refuses anything else', async () => {
    const dir = mkdtempSync(join(root, 'cfg-'));
    const path = join(dir, 'config.json');
    expect(await readStoreSetting(path)).toBe('auto');
    for (const mode of ['keychain', 'file', 'auto']) {
      writeFileSync(path, JSON.stringify({ store: mode }));
      expect(await readStoreSetting(path)).toBe(mode);
    }
    writeFileSync(path, JSON.stringify({ store: 'disk' }));
    await expect(readStoreSetting(path)).rejects.toThrow(/"store" must be one of "keychain", "file", "auto"/);
  });
});

/**
 * BridgeStore with Windows' item-size limit, against a fake keychain that refuses what Windows
 * Credential Manager (through @napi-rs/keyring) refuses: a password over 2560 bytes of UTF-16LE.
 * The refusal goes through keyringError, so without splitting a write fails as it would on Windows.
 */
import { describe, expect, it } from 'vitest';
import { BRIDGE_KEYCHAIN_SERVICE, BridgeStore, parseStoredCredential, serializeStoredCredential } from '../../../native-host/stores/bridge-store';
import type { StoredCredential } from '../../../native-host/stores/credential';
import { maxSecretLength, type KeyringCredential, type KeyringItemId } from '../../../native-host/stores/keyring-entry';
import { keyringError } from '../../../native-host/stores/keyring-errors';
import type { Keychain } from '../../../native-host/stores/split-keychain';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { credentialSeries } from '../../helpers/credentials';

const WINDOWS_BLOB_BYTES = 2560;

class FakeKeychain implements Keychain {
  /** account → secret, all under our service (the only one the store uses). */
  readonly items = new Map<string, string>();
  /** Makes the matching write fail as a keychain failure would, to simulate an interrupted write. */
  failWrite?: (account: string) => boolean;

  constructor(private readonly enforceWindowsLimit = true) {}

  private check(id: KeyringItemId): void {
    expect(id.service).toBe(BRIDGE_KEYCHAIN_SERVICE);
    expect(id.target).toBeUndefined();
  }

  /** Runs before a get: lets a test interleave another writer with a read. */
  beforeGet?: (account: string) => Promise<void>;

  async get(id: KeyringItemId): Promise<string | undefined> {
    this.check(id);
    await this.beforeGet?.(id.account);
    return this.items.get(id.account);
  }

  async set(id: KeyringItemId, secret: string): Promise<void> {
    this.check(id);
    if (this.failWrite?.(id.account)) throw new ProtocolError(ErrorCode.KeychainUnavailable, 'injected keychain failure');
    if (this.enforceWindowsLimit && Buffer.byteLength(secret, 'utf16le') > WINDOWS_BLOB_BYTES) {
      // windows-native-keyring-store's own refusal, mapped as the host maps it.
      throw keyringError(new Error("Attribute 'password encoded as UTF-16' is longer than platform limit of 2560 chars"), 'write', id);
    }
    // N-API hands strings to Rust as UTF-8, which turns a lone surrogate into U+FFFD.
    this.items.set(id.account, Buffer.from(secret, 'utf8').toString('utf8'));
  }

  async delete(id: KeyringItemId): Promise<boolean> {
    this.check(id);
    return this.items.delete(id.account);
  }

  async list(service: string): Promise<KeyringCredential[]> {
    expect(service).toBe(BRIDGE_KEYCHAIN_SERVICE);
    return [...this.items].map(([account, secret]) => ({ account, secret }));
  }
}

const credential = credentialSeries((serial) => ({
  clientSecret: `cs-SECRET-${serial}`,
  tokenEndpointAuthMethod: 'client_secret_post',
  // A JWT-sized access token: the entry is well over 1280 characters.
  accessToken: `at-SECRET-${serial}-${'J'.repeat(2000)}`,
  refreshToken: `rt-SECRET-${serial}-${'R'.repeat(300)}`,
  scope: 'openid email offline_access',
}));

function small(overrides: Partial<StoredCredential> = {}): StoredCredential {
  return credential((serial) => ({ accessToken: `at-SECRET-small-${serial}`, refreshToken: `rt-SECRET-small-${serial}`, ...overrides }));
}

function windowsStore(keychain = new FakeKeychain()): { store: BridgeStore; keychain: FakeKeychain } {
  return { store: new BridgeStore({ keychain, platform: 'win32' }), keychain };
}

async function rejection(promise: Promise<unknown>): Promise<ProtocolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

function expectDamaged(error: ProtocolError, serverUrl: string, detail: RegExp): void {
  expect(error.code).toBe(ErrorCode.StoreFailed);
  expect(error.message).toContain(`"${serverUrl}"`);
  expect(error.message).toMatch(detail);
  expect(error.message).toMatch(/Log in to this server again/);
  expect(error.message).not.toContain('SECRET');
}

describe('BridgeStore with the Windows item-size limit', () => {
  it('knows the limit: 1280 UTF-16 units on Windows, none elsewhere', () => {
    expect(maxSecretLength('win32')).toBe(1280);
    expect(maxSecretLength('linux')).toBeUndefined();
    expect(maxSecretLength('darwin')).toBeUndefined();
  });

  it('an entry longer than one item round-trips, split into items that each fit', async () => {
    const { store, keychain } = windowsStore();
    const c = credential();
    expect(serializeStoredCredential(c).length).toBeGreaterThan(2 * 1280);
    await store.write(c);
    expect(await store.read(c.serverUrl)).toEqual(c);
    expect([...keychain.items.keys()].sort()).toEqual(
      [c.serverUrl, `${c.serverUrl}#part-a-1`, `${c.serverUrl}#part-a-2`, `${c.serverUrl}#part-a-3`].sort(),
    );
    for (const secret of keychain.items.values()) expect(secret.length).toBeLessThanOrEqual(1280);
    expect(JSON.parse(keychain.items.get(c.serverUrl)!)).toMatchObject({ version: 2, layout: 'split', set: 'a', parts: 3 });
  });

  it('lists a split entry as one server, and nothing for its parts', async () => {
    const { store } = windowsStore();
    const big = credential();
    const little = small();
    await store.write(big);
    await store.write(little);
    expect(await store.list()).toEqual(expect.arrayContaining([big, little]));
    const scan = await store.scan();
    expect(scan.credentials).toHaveLength(2);
    expect(scan.invalid).toEqual([]);
  });

  it('keeps a surrogate pair whole when it falls on a part boundary', async () => {
    const { store, keychain } = windowsStore();
    // Pad until the 1280th unit is the first half of an emoji.
    let c = credential({ accessToken: `at-SECRET-${'😀'.repeat(1500)}` });
    if (!/[\ud800-\udbff]/.test(serializeStoredCredential(c)[1279]!)) c = { ...c, clientId: `${c.clientId}x` };
    expect(/[\ud800-\udbff]/.test(serializeStoredCredential(c)[1279]!)).toBe(true);
    await store.write(c);
    expect(await store.read(c.serverUrl)).toEqual(c);
    expect([...keychain.items.values()].join('')).not.toContain('\ufffd');
  });

  it('a missing part reads as damaged, naming the part and never a secret', async () => {
    const { store, keychain } = windowsStore();
    const c = credential();
    await store.write(c);
    keychain.items.delete(`${c.serverUrl}#part-a-2`);
    expectDamaged(await rejection(store.read(c.serverUrl)), c.serverUrl, /split over 3 keychain items and part 2 is missing/);
    const scan = await store.scan();
    expect(scan.credentials).toEqual([]);
    expect(scan.invalid).toHaveLength(1);
    expect(scan.invalid[0]!.serverUrl).toBe(c.serverUrl);
    expectDamaged(scan.invalid[0]!.error, c.serverUrl, /part 2 is missing/);
  });

  it('a rewrite by another process in the middle of a read is read again, not taken as damaged', async () => {
    const { store, keychain } = windowsStore();
    const first = credential();
    await store.write(first);
    const second = credential({ serverUrl: first.serverUrl, accessToken: `at-SECOND-${'E'.repeat(3000)}` });
    const writer = windowsStore(keychain).store;
    let interleaved = false;
    keychain.beforeGet = async (account) => {
      // The reader has the header and reaches for part 2: the writer switches sets and tidies.
      if (!interleaved && account.endsWith('#part-a-2')) {
        interleaved = true;
        keychain.beforeGet = undefined;
        await writer.write(second);
      }
    };
    await expect(store.read(first.serverUrl)).resolves.toEqual(second);
    expect(interleaved).toBe(true);
  });

  it('a header without its parts reads as damaged', async () => {
    const { store, keychain } = windowsStore();
    const c = credential();
    await store.write(c);
    for (const account of [...keychain.items.keys()]) if (account !== c.serverUrl) keychain.items.delete(account);
    expectDamaged(await rejection(store.read(c.serverUrl)), c.serverUrl, /part 1 is missing/);
    expect((await store.scan()).invalid.map((i) => i.serverUrl)).toEqual([c.serverUrl]);
  });

  it('parts of two different writes under one header read as damaged, never as either credential', async () => {
    const { store, keychain } = windowsStore();
    const first = credential();
    const second = { ...first, accessToken: `at-SECRET-rotated-${'K'.repeat(2000)}`, updatedAt: first.updatedAt + 1 };
    await store.write(first); // parts in set a
    const firstPart2 = keychain.items.get(`${first.serverUrl}#part-a-2`)!;
    await store.write(second); // parts in set b, then the header points at b
    expect(JSON.parse(keychain.items.get(first.serverUrl)!)).toMatchObject({ set: 'b', parts: 3 });
    keychain.items.set(`${first.serverUrl}#part-b-2`, firstPart2); // as if two writers had interleaved
    expectDamaged(await rejection(store.read(first.serverUrl)), first.serverUrl, /do not match their header/);
  });

  it('a header with a wrong hash reads as damaged', async () => {
    const { store, keychain } = windowsStore();
    const c = credential();
    await store.write(c);
    const header = JSON.parse(keychain.items.get(c.serverUrl)!) as Record<string, unknown>;
    keychain.items.set(c.serverUrl, JSON.stringify({ ...header, sha256: '0'.repeat(64) }));
    expectDamaged(await rejection(store.read(c.serverUrl)), c.serverUrl, /do not match their header/);
  });

  it('a malformed header reads as damaged', async () => {
    const { store, keychain } = windowsStore();
    const url = 'https://malformed.example.com/mcp';
    keychain.items.set(url, JSON.stringify({ version: 2, layout: 'split', set: 'a', parts: 100000, sha256: 'x' }));
    expectDamaged(await rejection(store.read(url)), url, /header is malformed \("parts"/);
  });

  it('an interrupted rewrite leaves the previous login readable, and the next write tidies up', async () => {
    const { store, keychain } = windowsStore();
    const first = credential();
    await store.write(first);
    const second = { ...first, accessToken: `at-SECRET-second-${'S'.repeat(3000)}`, updatedAt: first.updatedAt + 1 };
    keychain.failWrite = (account) => account === first.serverUrl; // parts written, header not
    expect((await rejection(store.write(second))).code).toBe(ErrorCode.KeychainUnavailable);
    expect(await store.read(first.serverUrl)).toEqual(first);
    expect(await store.list()).toEqual([first]);

    keychain.failWrite = undefined;
    const third = { ...first, accessToken: 'at-SECRET-third', updatedAt: first.updatedAt + 2 };
    await store.write(third);
    expect(await store.read(first.serverUrl)).toEqual(third);
    expect([...keychain.items.keys()]).toEqual([first.serverUrl]);
    expect(keychain.items.get(first.serverUrl)).toBe(serializeStoredCredential(third));
  });

  it('a rewrite with fewer parts removes the extra ones', async () => {
    const { store, keychain } = windowsStore();
    const big = credential({ accessToken: `at-SECRET-${'B'.repeat(5000)}` });
    await store.write(big);
    await store.write({ ...big, accessToken: `at-SECRET-${'b'.repeat(2000)}` });
    await store.write({ ...big, accessToken: `at-SECRET-${'c'.repeat(1500)}` });
    const header = JSON.parse(keychain.items.get(big.serverUrl)!) as { set: string; parts: number };
    expect(keychain.items.size).toBe(1 + header.parts);
    expect([...keychain.items.keys()].filter((a) => a.includes(`#part-${header.set === 'a' ? 'b' : 'a'}-`))).toEqual([]);
  });

  it('delete removes the entry and every part, also those of an interrupted write', async () => {
    const { store, keychain } = windowsStore();
    const c = credential();
    await store.write(c);
    keychain.failWrite = (account) => account === c.serverUrl;
    await rejection(store.write({ ...c, accessToken: `at-SECRET-${'D'.repeat(4000)}` }));
    keychain.failWrite = undefined;
    expect(keychain.items.size).toBeGreaterThan(4);
    expect(await store.delete(c.serverUrl)).toBe(true);
    expect(keychain.items.size).toBe(0);
    expect(await store.read(c.serverUrl)).toBeUndefined();
    expect(await store.delete(c.serverUrl)).toBe(false);
  });

  it('parts left without a header are no login and no damaged entry', async () => {
    const { store, keychain } = windowsStore();
    const c = credential();
    keychain.failWrite = (account) => account === c.serverUrl;
    await rejection(store.write(c));
    keychain.failWrite = undefined;
    expect(keychain.items.size).toBe(3);
    expect(await store.read(c.serverUrl)).toBeUndefined();
    expect(await store.scan()).toEqual({ credentials: [], invalid: [], locations: new Map() });
    // They hold tokens: delete (what `logout` calls when nothing reads) removes them and says so.
    expect(await store.delete(c.serverUrl)).toBe(true);
    expect(keychain.items.size).toBe(0);
    expect(await store.delete(c.serverUrl)).toBe(false);
  });

  it('an entry that fits is one item, byte for byte as before, and a split one shrinking back leaves no parts', async () => {
    const { store, keychain } = windowsStore();
    const c = credential();
    await store.write(c);
    const shrunk = { ...c, accessToken: 'at-SECRET-short', updatedAt: c.updatedAt + 1 };
    await store.write(shrunk);
    expect([...keychain.items]).toEqual([[c.serverUrl, serializeStoredCredential(shrunk)]]);
    expect(keychain.items.get(c.serverUrl)!.startsWith('{"version":1,')).toBe(true);
    expect(await store.read(c.serverUrl)).toEqual(shrunk);
  });

  it('refuses an entry that would take more than 64 items, writing nothing and quoting nothing', async () => {
    const { store, keychain } = windowsStore();
    const c = credential({ accessToken: `at-SECRET-${'H'.repeat(100_000)}` });
    const error = await rejection(store.write(c));
    expect(error.code).toBe(ErrorCode.StoreFailed);
    expect(error.message).toMatch(/would take \d+ keychain items, more than the 64 allowed/);
    expect(error.message).not.toContain('SECRET');
    expect(keychain.items.size).toBe(0);
  });

  it('refuses a server URL that would be taken for a part', async () => {
    const { store } = windowsStore();
    const error = await rejection(store.write(small({ serverUrl: 'https://x.example.com/mcp#part-a-1' })));
    expect(error.code).toBe(ErrorCode.InvalidField);
  });

  it('a host that predates splitting reads the header as "written by a newer version"', async () => {
    const { store, keychain } = windowsStore();
    const c = credential();
    await store.write(c);
    expect(() => parseStoredCredential(keychain.items.get(c.serverUrl)!)).toThrow(/"version" is 2, .*written by a newer version/);
  });

  it('without a limit (macOS, Linux) even a long entry stays one item, exactly as before', async () => {
    const keychain = new FakeKeychain(false);
    const store = new BridgeStore({ keychain, platform: 'linux' });
    const c = credential();
    await store.write(c);
    expect([...keychain.items]).toEqual([[c.serverUrl, serializeStoredCredential(c)]]);
    expect(await store.read(c.serverUrl)).toEqual(c);
    expect(await store.delete(c.serverUrl)).toBe(true);
    expect(keychain.items.size).toBe(0);
  });
});

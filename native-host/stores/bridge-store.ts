/**
 * The bridge's own credential store: one entry per MCP server, holding everything a later refresh
 * needs (DESIGN.md §4, "bridge"), in the OS keychain or, without one, a 0600 file (file-entries.ts;
 * the host config's "store" setting decides, store-setting.ts).
 *
 * Layout: service `mcp-login-bridge`, account = the server URL exactly as given (no normalization,
 * like Codex: a trailing slash is another server), secret = compact JSON
 * `{"version":1, ...StoredCredential}` (bridge-entry.ts). On Windows, where one item holds at most
 * 1280 characters, a longer secret is split over extra items `<server URL>#part-<a|b>-<n>` behind a
 * header in the server's own item (split-secret.ts); elsewhere it is always the one item.
 *
 * This file is the read side, all `token` needs with a valid login on every MCP request. Writes,
 * removals and listings are in bridge-store-writes.ts, loaded at their first use: `token`'s
 * one-file build then leaves them out of what it compiles at every start.
 */
import { join } from 'node:path';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { stateDir } from '../paths';
import { EntryFieldError, parseOrThrowFieldError } from './bridge-entry';
import type { BridgeStoreScan, BridgeStoreWrites } from './bridge-store-writes';
import type { CredentialTarget, StoredCredential } from './credential';
import { FileEntries } from './file-entries';
import { maxSecretLength } from './keyring-entry';
import { SplitKeychain, osKeychain, type Keychain } from './split-keychain';
import { SplitSecretError, isPartAccount } from './split-secret';
import { configPath } from '../config-path';
import { readStoreSetting, type StoreMode } from './store-setting';

export { BRIDGE_ENTRY_VERSION, parseStoredCredential, serializeStoredCredential } from './bridge-entry';
export type { BridgeStoreScan, InvalidBridgeEntry } from './bridge-store-writes';

export const BRIDGE_KEYCHAIN_SERVICE = 'mcp-login-bridge';

/** The keychain account of a server, after checking it can be one. */
export function accountFor(serverUrl: string): string {
  if (typeof serverUrl !== 'string' || serverUrl.length === 0) {
    throw new ProtocolError(ErrorCode.InvalidField, 'A server URL is required to find its bridge keychain entry.');
  }
  // Such an account is taken for a part of a split entry and left out of listings.
  if (isPartAccount(serverUrl)) {
    throw new ProtocolError(ErrorCode.InvalidField, `A server URL ending in "#part-a-<n>" or "#part-b-<n>" cannot be stored: ${serverUrl}`);
  }
  return serverUrl;
}

export interface BridgeStoreOptions {
  /** The keychain to use; the OS keychain by default (tests pass a fake). */
  keychain?: Keychain;
  /** Whose item-size limit applies (see maxSecretLength); this machine's by default. */
  platform?: NodeJS.Platform;
  /**
   * Where entries go (store-setting.ts). Default: the host config's "store" setting, read at first
   * use; with a `keychain` passed in (tests), "keychain".
   */
  mode?: StoreMode;
  /** The folder of the file backing; default `<stateDir>/credentials`. */
  fileDir?: string;
  /** Where the default file folder and the host config (its "store" setting) are found; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where the one-line warning of a file write goes; default stderr. */
  warn?: (line: string) => void;
}

/** Where an entry is (or was just written): for `status`, `doctor` and the login summary. */
export interface EntryLocation {
  backing: 'keychain' | 'file';
  /** For people: the keychain service, or the file's path. */
  location: string;
}

/** The folder the bridge's credential files go in when the keychain is not used. */
export function bridgeFileDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'credentials');
}

export function keychainLocation(): EntryLocation {
  return { backing: 'keychain', location: `keychain service "${BRIDGE_KEYCHAIN_SERVICE}"` };
}

export function fileLocation(files: FileEntries, serverUrl?: string): EntryLocation {
  return { backing: 'file', location: `file ${serverUrl === undefined ? files.dir : files.pathFor(serverUrl)}` };
}

export function isKeychainUnavailable(error: unknown): boolean {
  return error instanceof ProtocolError && error.code === ErrorCode.KeychainUnavailable;
}

/** An entry that is there but cannot be used: where it is and why, never a value from it. */
export function damagedEntry(serverUrl: string, detail: string, where: EntryLocation): ProtocolError {
  return new ProtocolError(
    ErrorCode.StoreFailed,
    `The bridge ${where.backing} entry for "${serverUrl}" (${where.location}) is unusable: ${detail}. ` +
      'Log in to this server again to replace it.',
  );
}

/** The credential in the secret stored for `serverUrl` at `where`. */
export function parseEntry(serverUrl: string, secret: string, where: EntryLocation): StoredCredential {
  let credential: StoredCredential;
  try {
    credential = parseOrThrowFieldError(secret);
  } catch (error) {
    if (!(error instanceof EntryFieldError)) throw error;
    throw damagedEntry(serverUrl, error.message, where);
  }
  // A copy pasted under another account would otherwise hand one server's token to another.
  if (credential.serverUrl !== serverUrl) {
    throw damagedEntry(serverUrl, `"serverUrl" does not match the ${where.backing === 'file' ? 'file' : 'keychain account'} it is stored under`, where);
  }
  return credential;
}

/** What the write side (bridge-store-writes.ts) works on: the store's backings and its setting. */
export interface BridgeBacking {
  readonly items: SplitKeychain;
  readonly files: FileEntries;
  warn(line: string): void;
  storeMode(): Promise<StoreMode>;
  describe(): string;
  /** Notes where a write went (describe() names it from then on) and returns it. */
  wrote(where: EntryLocation): EntryLocation;
}

/**
 * @see CredentialTarget. One interface, two backings: the OS keychain (SplitKeychain) and 0600
 * files (FileEntries), chosen by the "store" setting. In "auto" the keychain is used when it can
 * be reached and the file otherwise, and reads look in both, so `token` finds the entry wherever
 * the login that made it could write it. `list()` returns the usable entries only, so one damaged
 * item cannot hide the others; `scan()` also reports the damaged ones (for `status`).
 */
export class BridgeStore implements CredentialTarget {
  readonly name = 'bridge' as const;
  private readonly items: SplitKeychain;
  private readonly files: FileEntries;
  private mode: StoreMode | undefined;
  private readonly env: NodeJS.ProcessEnv | undefined;
  /** Where the last write went (or, before any, where the setting points), for describe(). */
  private lastLocation: EntryLocation | undefined;
  private readonly backing: BridgeBacking;
  private writes: Promise<BridgeStoreWrites> | undefined;

  constructor(options: BridgeStoreOptions = {}) {
    this.items = new SplitKeychain(BRIDGE_KEYCHAIN_SERVICE, options.keychain ?? osKeychain, maxSecretLength(options.platform));
    this.files = new FileEntries(options.fileDir ?? bridgeFileDir(options.env));
    this.env = options.env;
    this.mode = options.mode ?? (options.keychain ? 'keychain' : undefined);
    this.backing = {
      items: this.items,
      files: this.files,
      warn: options.warn ?? ((line) => process.stderr.write(`mcp-login-bridge: warning: ${line}\n`)),
      storeMode: () => this.storeMode(),
      describe: () => this.describe(),
      wrote: (where) => (this.lastLocation = where),
    };
  }

  describe(): string {
    if (this.lastLocation) return this.lastLocation.location;
    return this.mode === 'file' ? fileLocation(this.files).location : keychainLocation().location;
  }

  /** The "store" setting in force (read from the config file once). */
  async storeMode(): Promise<StoreMode> {
    this.mode ??= await readStoreSetting(configPath(this.env));
    return this.mode;
  }

  /** The folder of the file backing (whether or not it is in use). */
  get fileDir(): string {
    return this.files.dir;
  }

  async read(serverUrl: string): Promise<StoredCredential | undefined> {
    return (await this.readWithLocation(serverUrl))?.credential;
  }

  /** The entry and where it was found. */
  async readWithLocation(serverUrl: string): Promise<{ credential: StoredCredential; where: EntryLocation } | undefined> {
    const account = accountFor(serverUrl);
    const mode = await this.storeMode();
    if (mode !== 'file') {
      let secret: string | undefined;
      try {
        secret = await this.items.read(account);
      } catch (error) {
        if (error instanceof SplitSecretError) throw damagedEntry(serverUrl, error.message, keychainLocation());
        // auto: a keychain that cannot be reached (or refuses) may simply not be where this entry is.
        if (mode === 'keychain' || !isKeychainUnavailable(error)) throw error;
        const fromFile = await this.readFile(serverUrl, account);
        if (fromFile) return fromFile;
        throw error;
      }
      if (secret !== undefined) return { credential: parseEntry(serverUrl, secret, keychainLocation()), where: keychainLocation() };
      if (mode === 'keychain') return undefined;
    }
    return this.readFile(serverUrl, account);
  }

  private async readFile(serverUrl: string, account: string): Promise<{ credential: StoredCredential; where: EntryLocation } | undefined> {
    const secret = await this.files.read(account);
    if (secret === undefined) return undefined;
    const where = fileLocation(this.files, serverUrl);
    return { credential: parseEntry(serverUrl, secret, where), where };
  }

  // ---- the write side, loaded at first use (bridge-store-writes.ts) ----

  private writeSide(): Promise<BridgeStoreWrites> {
    this.writes ??= import('./bridge-store-writes').then(({ BridgeStoreWrites }) => new BridgeStoreWrites(this.backing));
    return this.writes;
  }

  async write(credential: StoredCredential): Promise<void> {
    await this.writeWithLocation(credential);
  }

  /** Writes the entry where the setting says and returns where it went. */
  async writeWithLocation(credential: StoredCredential): Promise<EntryLocation> {
    return (await this.writeSide()).writeWithLocation(credential);
  }

  /**
   * Keeps a credential whose normal write failed (after the code was redeemed: without it the
   * login would be lost) in the file backing, whatever the setting, and returns the file. `token`
   * reads it when "store" is "auto" or "file".
   */
  async rescue(credential: StoredCredential): Promise<string> {
    return (await this.writeSide()).rescue(credential);
  }

  /**
   * Proves that a login can be stored, before it starts, and says where it will go. Writes and
   * removes a probe item under a service of its own (never listed as an entry) or a probe file.
   *
   * @throws ProtocolError KeychainUnavailable / StoreFailed with the reason and the fix.
   */
  async checkWritable(): Promise<EntryLocation> {
    return (await this.writeSide()).checkWritable();
  }

  async delete(serverUrl: string): Promise<boolean> {
    return (await this.writeSide()).delete(serverUrl);
  }

  async list(): Promise<StoredCredential[]> {
    return (await this.scan()).credentials;
  }

  /**
   * Every entry, split into usable credentials and damaged entries, with where each is. In "auto"
   * a keychain that cannot be reached leaves only the files (`keychainProblem` says why); an entry
   * in both places is the keychain's (the one reads use).
   */
  async scan(): Promise<BridgeStoreScan> {
    return (await this.writeSide()).scan();
  }
}

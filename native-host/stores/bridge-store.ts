/**
 * The bridge's own credential store: one entry per MCP server, holding everything a later refresh
 * needs (DESIGN.md §4, "bridge"), in the OS keychain or, without one, a 0600 file (file-entries.ts;
 * the host config's "store" setting decides, store-setting.ts).
 *
 * Layout: service `mcp-login-bridge`, account = the server URL exactly as given (no normalization,
 * like Codex: a trailing slash is another server), secret = compact JSON
 * `{"version":1, ...StoredCredential}`. On Windows, where one item holds at most 1280 characters,
 * a longer secret is split over extra items `<server URL>#part-<a|b>-<n>` behind a header in the
 * server's own item (split-secret.ts); elsewhere it is always the one item.
 */
import { join } from 'node:path';
import { accountName } from '../../shared/account';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { FieldReader, jsonType } from '../../shared/field-reader';
import { stateDir } from '../paths';
import type { CredentialTarget, StoredCredential } from './credential';
import { FileEntries } from './file-entries';
import { maxSecretLength } from './keyring-entry';
import { SplitKeychain, osKeychain, type Keychain, type ListedSecret } from './split-keychain';
import { SplitSecretError, isPartAccount } from './split-secret';
import { configPath } from '../config-path';
import { readStoreSetting, type StoreMode } from './store-setting';
import { parseStoredRegistration } from './stored-registration';

export const BRIDGE_KEYCHAIN_SERVICE = 'mcp-login-bridge';
/** Bumped only for changes an older host cannot read; new optional fields do not need it. */
export const BRIDGE_ENTRY_VERSION = 1;

const AUTH_METHODS = ['none', 'client_secret_post', 'client_secret_basic'] as const;

/** An item under our service that could not be used; `error.message` names the field, never a value. */
export interface InvalidBridgeEntry {
  serverUrl: string;
  error: ProtocolError;
}

export interface BridgeStoreScan {
  credentials: StoredCredential[];
  invalid: InvalidBridgeEntry[];
  /** Where each listed entry (usable or not) is, by server URL. */
  locations: Map<string, EntryLocation>;
  /** "auto" only: why the keychain could not be listed (then only the files were). */
  keychainProblem?: string;
}

// Validation failures carry only a field name and a JSON type (shared/field-reader.ts), so the
// caller can wrap them with where the entry lives without any risk of quoting a token.
class EntryFieldError extends Error {}

function entryReader(o: Record<string, unknown>): FieldReader {
  return new FieldReader(o, (message) => {
    throw new EntryFieldError(message);
  });
}

/**
 * Validates a bridge keychain secret and returns the credential it holds.
 *
 * - `version` must be exactly 1: another number means another (newer) layout we cannot trust.
 * - Required: serverUrl, resource, issuer, clientId, accessToken, tokenType (non-empty strings),
 *   scope (string, may be empty), tokenEndpointAuthMethod (none | client_secret_post |
 *   client_secret_basic), expiresAt (epoch ms or null), updatedAt (epoch ms).
 * - Optional, but typed when present: clientSecret, refreshToken, tokenEndpoint (non-empty
 *   strings), loginNeeded (boolean), idTokenSigningAlgs (array of non-empty strings).
 * - Optional and never fatal: registration, and account (a name for display, shared/account.ts;
 *   one that fails the check is dropped, the login kept).
 * - Unknown fields are ignored and left out of the result, so a newer host may add optional
 *   fields without a version bump; an older host rewriting the entry drops them (as Codex does).
 *
 * @throws ProtocolError StoreFailed naming the field and what was wrong; never a value from the
 *   input (V8's JSON.parse message quotes the input, so it is not passed on either).
 */
export function parseStoredCredential(json: string): StoredCredential {
  try {
    return parseOrThrowFieldError(json);
  } catch (error) {
    if (error instanceof EntryFieldError) {
      throw new ProtocolError(ErrorCode.StoreFailed, `Bridge keychain entry is invalid: ${error.message}`);
    }
    throw error;
  }
}

function parseOrThrowFieldError(json: string): StoredCredential {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new EntryFieldError('it is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EntryFieldError(`it must be a JSON object, got ${jsonType(parsed)}`);
  }
  return validateEntry(parsed as Record<string, unknown>);
}

/** Checks fields in the order of StoredCredential, so the first problem reported is predictable. */
function validateEntry(o: Record<string, unknown>): StoredCredential {
  const read = entryReader(o);
  if (o.version !== BRIDGE_ENTRY_VERSION) {
    if (typeof o.version === 'number') {
      throw new EntryFieldError(
        `"version" is ${o.version}, this mcp-login-bridge reads version ${BRIDGE_ENTRY_VERSION} (written by a newer version?)`,
      );
    }
    read.expected('version', `the number ${BRIDGE_ENTRY_VERSION}`);
  }
  // One variable per field, in order, then a fresh object: unknown fields stay out. A present
  // optional field must be right: null is not "absent" here, an older host never wrote it.
  const optional = { nullIsAbsent: false } as const;
  const serverUrl = read.string('serverUrl');
  const resource = read.string('resource');
  const issuer = read.string('issuer');
  const clientId = read.string('clientId');
  const clientSecret = read.optionalString('clientSecret', optional);
  const tokenEndpointAuthMethod = read.oneOf('tokenEndpointAuthMethod', AUTH_METHODS);
  const accessToken = read.string('accessToken');
  const tokenType = read.string('tokenType');
  const refreshToken = read.optionalString('refreshToken', optional);
  const expiresAt = read.time('expiresAt', true);
  const scope = read.string('scope', { allowEmpty: true });
  const updatedAt = read.time('updatedAt', false) as number;
  const loginNeeded = read.optionalBoolean('loginNeeded', optional);
  const tokenEndpoint = read.optionalString('tokenEndpoint', optional);
  const idTokenSigningAlgs = o.idTokenSigningAlgs;
  if (idTokenSigningAlgs !== undefined && !(Array.isArray(idTokenSigningAlgs) && idTokenSigningAlgs.every((a) => typeof a === 'string' && a))) {
    read.expected('idTokenSigningAlgs', 'an array of non-empty strings');
  }

  const credential: StoredCredential = {
    serverUrl,
    resource,
    issuer,
    clientId,
    tokenEndpointAuthMethod,
    accessToken,
    tokenType,
    expiresAt,
    scope,
    updatedAt,
  };
  if (clientSecret !== undefined) credential.clientSecret = clientSecret;
  if (refreshToken !== undefined) credential.refreshToken = refreshToken;
  if (loginNeeded !== undefined) credential.loginNeeded = loginNeeded;
  // Optional and never fatal: a malformed one is dropped, the login kept (stored-registration.ts).
  const registration = parseStoredRegistration(o.registration);
  if (registration !== undefined) credential.registration = registration;
  if (tokenEndpoint !== undefined) credential.tokenEndpoint = tokenEndpoint;
  if (idTokenSigningAlgs !== undefined) credential.idTokenSigningAlgs = [...(idTokenSigningAlgs as string[])];
  const account = accountName(o.account);
  if (account !== undefined) credential.account = account;
  return credential;
}

/** What goes into the keychain: version first, known fields only, in a fixed order. */
function toEntry(credential: StoredCredential): Record<string, unknown> {
  return {
    version: BRIDGE_ENTRY_VERSION,
    serverUrl: credential.serverUrl,
    resource: credential.resource,
    issuer: credential.issuer,
    clientId: credential.clientId,
    clientSecret: credential.clientSecret,
    tokenEndpointAuthMethod: credential.tokenEndpointAuthMethod,
    accessToken: credential.accessToken,
    tokenType: credential.tokenType,
    refreshToken: credential.refreshToken,
    expiresAt: credential.expiresAt,
    scope: credential.scope,
    updatedAt: credential.updatedAt,
    loginNeeded: credential.loginNeeded,
    registration: credential.registration,
    tokenEndpoint: credential.tokenEndpoint,
    idTokenSigningAlgs: credential.idTokenSigningAlgs,
    account: credential.account,
  };
}

/** The keychain secret for a credential: compact JSON; undefined optional fields are left out. */
export function serializeStoredCredential(credential: StoredCredential): string {
  return JSON.stringify(toEntry(credential));
}

/** The keychain account of a server, after checking it can be one. */
function accountFor(serverUrl: string): string {
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
  private readonly warn: (line: string) => void;
  private mode: StoreMode | undefined;
  private readonly env: NodeJS.ProcessEnv | undefined;
  /** Where the last write went (or, before any, where the setting points), for describe(). */
  private lastLocation: EntryLocation | undefined;

  constructor(options: BridgeStoreOptions = {}) {
    this.items = new SplitKeychain(BRIDGE_KEYCHAIN_SERVICE, options.keychain ?? osKeychain, maxSecretLength(options.platform));
    this.files = new FileEntries(options.fileDir ?? bridgeFileDir(options.env));
    this.env = options.env;
    this.mode = options.mode ?? (options.keychain ? 'keychain' : undefined);
    this.warn = options.warn ?? ((line) => process.stderr.write(`mcp-login-bridge: warning: ${line}\n`));
  }

  private keychainLocation(): EntryLocation {
    return { backing: 'keychain', location: `keychain service "${BRIDGE_KEYCHAIN_SERVICE}"` };
  }

  private fileLocation(serverUrl?: string): EntryLocation {
    return { backing: 'file', location: `file ${serverUrl === undefined ? this.files.dir : this.files.pathFor(serverUrl)}` };
  }

  describe(): string {
    if (this.lastLocation) return this.lastLocation.location;
    return this.mode === 'file' ? this.fileLocation().location : this.keychainLocation().location;
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
        if (error instanceof SplitSecretError) throw this.damaged(serverUrl, error.message, this.keychainLocation());
        // auto: a keychain that cannot be reached (or refuses) may simply not be where this entry is.
        if (mode === 'keychain' || !isKeychainUnavailable(error)) throw error;
        const fromFile = await this.readFile(serverUrl, account);
        if (fromFile) return fromFile;
        throw error;
      }
      if (secret !== undefined) return { credential: this.parseEntry(serverUrl, secret, this.keychainLocation()), where: this.keychainLocation() };
      if (mode === 'keychain') return undefined;
    }
    return this.readFile(serverUrl, account);
  }

  private async readFile(serverUrl: string, account: string): Promise<{ credential: StoredCredential; where: EntryLocation } | undefined> {
    const secret = await this.files.read(account);
    if (secret === undefined) return undefined;
    const where = this.fileLocation(serverUrl);
    return { credential: this.parseEntry(serverUrl, secret, where), where };
  }

  async write(credential: StoredCredential): Promise<void> {
    await this.writeWithLocation(credential);
  }

  /** Writes the entry where the setting says and returns where it went. */
  async writeWithLocation(credential: StoredCredential): Promise<EntryLocation> {
    const account = accountFor(credential.serverUrl);
    // Validated before JSON.stringify, which would quietly turn a NaN expiry into null ("never
    // expires"); a bad value is refused here rather than found unreadable at the next refresh.
    try {
      validateEntry(toEntry(credential));
    } catch (error) {
      if (!(error instanceof EntryFieldError)) throw error;
      throw new ProtocolError(
        ErrorCode.StoreFailed,
        `Refusing to write the credential for "${credential.serverUrl}" to ${this.describe()}: ${error.message}.`,
      );
    }
    const secret = serializeStoredCredential(credential);
    const mode = await this.storeMode();
    if (mode !== 'file') {
      try {
        await this.writeKeychain(credential.serverUrl, account, secret);
        // auto: one copy only. A file left from a login without a keychain would come back into
        // use whenever the keychain cannot be reached, with tokens older than these.
        if (mode === 'auto') await this.removeStaleFile(account);
        this.lastLocation = this.keychainLocation();
        return this.lastLocation;
      } catch (error) {
        if (mode === 'keychain' || !isKeychainUnavailable(error)) throw error;
        const path = await this.files.write(account, secret);
        this.warn(`no usable keychain (${firstSentence((error as Error).message)}); stored the login for ${credential.serverUrl} in ${path} (0600, not encrypted).`);
        this.lastLocation = this.fileLocation(credential.serverUrl);
        return this.lastLocation;
      }
    }
    const path = await this.files.write(account, secret);
    this.warn(`stored the login for ${credential.serverUrl} in ${path} (0600, not encrypted), as the host config's "store": "file" says.`);
    this.lastLocation = this.fileLocation(credential.serverUrl);
    return this.lastLocation;
  }

  private async writeKeychain(serverUrl: string, account: string, secret: string): Promise<void> {
    try {
      await this.items.write(account, secret);
    } catch (error) {
      if (!(error instanceof SplitSecretError)) throw error;
      throw new ProtocolError(
        ErrorCode.StoreFailed,
        `Refusing to write the credential for "${serverUrl}" to ${this.keychainLocation().location}: ${error.message}.`,
      );
    }
  }

  private async removeStaleFile(account: string): Promise<void> {
    try {
      await this.files.delete(account);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.warn(`${error.message.replace(/^Cannot delete/, 'Could not remove the older copy at')}`);
    }
  }

  /**
   * Keeps a credential whose normal write failed (after the code was redeemed: without it the
   * login would be lost) in the file backing, whatever the setting, and returns the file. `token`
   * reads it when "store" is "auto" or "file".
   */
  async rescue(credential: StoredCredential): Promise<string> {
    return this.files.write(accountFor(credential.serverUrl), serializeStoredCredential(credential));
  }

  /**
   * Proves that a login can be stored, before it starts, and says where it will go. Writes and
   * removes a probe item under a service of its own (never listed as an entry) or a probe file.
   *
   * @throws ProtocolError KeychainUnavailable / StoreFailed with the reason and the fix.
   */
  async checkWritable(): Promise<EntryLocation> {
    const mode = await this.storeMode();
    if (mode !== 'file') {
      try {
        await this.items.probe();
        return this.keychainLocation();
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        if (mode === 'keychain') {
          throw new ProtocolError(
            error.code,
            `${error.message} (The host config says "store": "keychain"; "auto" would use a 0600 file under ${this.files.dir} instead.)`,
          );
        }
        if (!isKeychainUnavailable(error)) throw error;
      }
    }
    await this.files.checkWritable();
    return this.fileLocation();
  }

  async delete(serverUrl: string): Promise<boolean> {
    const account = accountFor(serverUrl);
    const mode = await this.storeMode();
    let removed = false;
    if (mode !== 'file') {
      try {
        removed = await this.items.delete(account);
      } catch (error) {
        if (mode === 'keychain' || !isKeychainUnavailable(error)) throw error;
      }
    }
    if (mode !== 'keychain') removed = (await this.files.delete(account)) || removed;
    return removed;
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
    const result: BridgeStoreScan = { credentials: [], invalid: [], locations: new Map() };
    const mode = await this.storeMode();
    if (mode !== 'file') {
      let listed: ListedSecret[] | undefined;
      try {
        listed = await this.items.list();
      } catch (error) {
        if (mode === 'keychain' || !isKeychainUnavailable(error)) throw error;
        result.keychainProblem = (error as Error).message;
      }
      for (const entry of listed ?? []) this.addListed(result, entry.account, 'damaged' in entry ? { damaged: entry.damaged.message } : { secret: entry.secret }, this.keychainLocation());
    }
    if (mode !== 'keychain') {
      for (const entry of await this.files.list()) {
        if (result.locations.has(entry.account)) continue;
        this.addListed(result, entry.account, 'damaged' in entry ? { damaged: entry.damaged } : { secret: entry.secret }, { backing: 'file', location: `file ${entry.path}` });
      }
    }
    return result;
  }

  private addListed(result: BridgeStoreScan, account: string, item: { secret: string } | { damaged: string }, where: EntryLocation): void {
    result.locations.set(account, where);
    if ('damaged' in item) {
      result.invalid.push({ serverUrl: account, error: this.damaged(account, item.damaged, where) });
      return;
    }
    try {
      result.credentials.push(this.parseEntry(account, item.secret, where));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      result.invalid.push({ serverUrl: account, error });
    }
  }

  private parseEntry(serverUrl: string, secret: string, where: EntryLocation): StoredCredential {
    let credential: StoredCredential;
    try {
      credential = parseOrThrowFieldError(secret);
    } catch (error) {
      if (!(error instanceof EntryFieldError)) throw error;
      throw this.damaged(serverUrl, error.message, where);
    }
    // A copy pasted under another account would otherwise hand one server's token to another.
    if (credential.serverUrl !== serverUrl) {
      throw this.damaged(serverUrl, `"serverUrl" does not match the ${where.backing === 'file' ? 'file' : 'keychain account'} it is stored under`, where);
    }
    return credential;
  }

  private damaged(serverUrl: string, detail: string, where: EntryLocation): ProtocolError {
    return new ProtocolError(
      ErrorCode.StoreFailed,
      `The bridge ${where.backing} entry for "${serverUrl}" (${where.location}) is unusable: ${detail}. ` +
        'Log in to this server again to replace it.',
    );
  }
}

function isKeychainUnavailable(error: unknown): boolean {
  return error instanceof ProtocolError && error.code === ErrorCode.KeychainUnavailable;
}

/** The keychain error's first sentence (up to the colon before its advice), for a one-line warning. */
export function firstSentence(message: string): string {
  const cut = message.search(/: (run|start|unlock|allow|create|check)\b/);
  const sentence = cut > 0 ? message.slice(0, cut) : message;
  // Long enough for a bus address and an item's name; a longer one ends at a word, marked as cut.
  return sentence.length <= 300 ? sentence : `${sentence.slice(0, sentence.lastIndexOf(' ', 299))}…`;
}

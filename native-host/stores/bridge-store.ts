/**
 * The bridge's own credential store: one OS keychain item per MCP server, holding everything a
 * later refresh needs (DESIGN.md §4, "bridge").
 *
 * Layout: service `mcp-login-bridge`, account = the server URL exactly as given (no normalization,
 * like Codex: a trailing slash is another server), secret = compact JSON
 * `{"version":1, ...StoredCredential}`. On Windows, where one item holds at most 1280 characters,
 * a longer secret is split over extra items `<server URL>#part-<a|b>-<n>` behind a header in the
 * server's own item (split-secret.ts); elsewhere it is always the one item.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { CredentialTarget, StoredCredential } from './credential';
import { maxSecretLength } from './keyring-entry';
import { SplitKeychain, osKeychain, type Keychain } from './split-keychain';
import { SplitSecretError, isPartAccount } from './split-secret';

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
}

// Validation failures carry only a field name and a JSON type, so the caller can wrap them with
// where the entry lives without any risk of quoting a token.
class EntryFieldError extends Error {}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function fail(field: string, expected: string, value: unknown): never {
  throw new EntryFieldError(
    value === undefined ? `"${field}" is missing` : `"${field}" must be ${expected}, got ${typeName(value)}`,
  );
}

function requireString(o: Record<string, unknown>, field: string, allowEmpty = false): string {
  const value = o[field];
  if (typeof value !== 'string') fail(field, allowEmpty ? 'a string' : 'a non-empty string', value);
  if (!allowEmpty && value.length === 0) throw new EntryFieldError(`"${field}" must not be empty`);
  return value;
}

function optionalString(o: Record<string, unknown>, field: string): string | undefined {
  return o[field] === undefined ? undefined : requireString(o, field);
}

function requireTime(o: Record<string, unknown>, field: string, nullable: boolean): number | null {
  const value = o[field];
  const expected = `epoch milliseconds (a non-negative integer)${nullable ? ' or null' : ''}`;
  if (value === null && nullable) return null;
  if (typeof value !== 'number') fail(field, expected, value);
  if (!Number.isSafeInteger(value) || value < 0) throw new EntryFieldError(`"${field}" must be ${expected}`);
  return value;
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
    throw new EntryFieldError(`it must be a JSON object, got ${typeName(parsed)}`);
  }
  return validateEntry(parsed as Record<string, unknown>);
}

function requireAuthMethod(o: Record<string, unknown>): StoredCredential['tokenEndpointAuthMethod'] {
  const value = o.tokenEndpointAuthMethod;
  const expected = `one of ${AUTH_METHODS.join(', ')}`;
  if (typeof value !== 'string') fail('tokenEndpointAuthMethod', expected, value);
  if (!(AUTH_METHODS as readonly string[]).includes(value)) {
    throw new EntryFieldError(`"tokenEndpointAuthMethod" must be ${expected}`);
  }
  return value as StoredCredential['tokenEndpointAuthMethod'];
}

/** Checks fields in the order of StoredCredential, so the first problem reported is predictable. */
function validateEntry(o: Record<string, unknown>): StoredCredential {
  if (o.version !== BRIDGE_ENTRY_VERSION) {
    if (typeof o.version === 'number') {
      throw new EntryFieldError(
        `"version" is ${o.version}, this mcp-login-bridge reads version ${BRIDGE_ENTRY_VERSION} (written by a newer version?)`,
      );
    }
    fail('version', `the number ${BRIDGE_ENTRY_VERSION}`, o.version);
  }
  // One variable per field, in order, then a fresh object: unknown fields stay out.
  const serverUrl = requireString(o, 'serverUrl');
  const resource = requireString(o, 'resource');
  const issuer = requireString(o, 'issuer');
  const clientId = requireString(o, 'clientId');
  const clientSecret = optionalString(o, 'clientSecret');
  const tokenEndpointAuthMethod = requireAuthMethod(o);
  const accessToken = requireString(o, 'accessToken');
  const tokenType = requireString(o, 'tokenType');
  const refreshToken = optionalString(o, 'refreshToken');
  const expiresAt = requireTime(o, 'expiresAt', true);
  const scope = requireString(o, 'scope', true);
  const updatedAt = requireTime(o, 'updatedAt', false) as number;
  const loginNeeded = o.loginNeeded;
  if (loginNeeded !== undefined && typeof loginNeeded !== 'boolean') fail('loginNeeded', 'a boolean', loginNeeded);
  const tokenEndpoint = optionalString(o, 'tokenEndpoint');
  const idTokenSigningAlgs = o.idTokenSigningAlgs;
  if (idTokenSigningAlgs !== undefined && !(Array.isArray(idTokenSigningAlgs) && idTokenSigningAlgs.every((a) => typeof a === 'string' && a))) {
    fail('idTokenSigningAlgs', 'an array of non-empty strings', idTokenSigningAlgs);
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
  if (tokenEndpoint !== undefined) credential.tokenEndpoint = tokenEndpoint;
  if (idTokenSigningAlgs !== undefined) credential.idTokenSigningAlgs = [...(idTokenSigningAlgs as string[])];
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
    tokenEndpoint: credential.tokenEndpoint,
    idTokenSigningAlgs: credential.idTokenSigningAlgs,
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
}

/**
 * @see CredentialTarget. `list()` returns the usable entries only, so one damaged item cannot hide
 * the others; `scan()` also reports the damaged ones (for `status`).
 */
export class BridgeStore implements CredentialTarget {
  readonly name = 'bridge' as const;
  private readonly items: SplitKeychain;

  constructor(options: BridgeStoreOptions = {}) {
    this.items = new SplitKeychain(BRIDGE_KEYCHAIN_SERVICE, options.keychain ?? osKeychain, maxSecretLength(options.platform));
  }

  describe(): string {
    return `keychain service "${BRIDGE_KEYCHAIN_SERVICE}"`;
  }

  async read(serverUrl: string): Promise<StoredCredential | undefined> {
    const account = accountFor(serverUrl);
    let secret: string | undefined;
    try {
      secret = await this.items.read(account);
    } catch (error) {
      if (!(error instanceof SplitSecretError)) throw error;
      throw this.damaged(serverUrl, error.message);
    }
    return secret === undefined ? undefined : this.parseEntry(serverUrl, secret);
  }

  async write(credential: StoredCredential): Promise<void> {
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
    try {
      await this.items.write(account, serializeStoredCredential(credential));
    } catch (error) {
      if (!(error instanceof SplitSecretError)) throw error;
      throw new ProtocolError(
        ErrorCode.StoreFailed,
        `Refusing to write the credential for "${credential.serverUrl}" to ${this.describe()}: ${error.message}.`,
      );
    }
  }

  async delete(serverUrl: string): Promise<boolean> {
    return this.items.delete(accountFor(serverUrl));
  }

  async list(): Promise<StoredCredential[]> {
    return (await this.scan()).credentials;
  }

  /** Every item under our service, split into usable credentials and damaged entries. */
  async scan(): Promise<BridgeStoreScan> {
    const result: BridgeStoreScan = { credentials: [], invalid: [] };
    for (const listed of await this.items.list()) {
      const { account } = listed;
      if ('damaged' in listed) {
        result.invalid.push({ serverUrl: account, error: this.damaged(account, listed.damaged.message) });
        continue;
      }
      try {
        result.credentials.push(this.parseEntry(account, listed.secret));
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        result.invalid.push({ serverUrl: account, error });
      }
    }
    return result;
  }

  private parseEntry(serverUrl: string, secret: string): StoredCredential {
    let credential: StoredCredential;
    try {
      credential = parseOrThrowFieldError(secret);
    } catch (error) {
      if (!(error instanceof EntryFieldError)) throw error;
      throw this.damaged(serverUrl, error.message);
    }
    // A copy pasted under another account would otherwise hand one server's token to another.
    if (credential.serverUrl !== serverUrl) {
      throw this.damaged(serverUrl, '"serverUrl" does not match the keychain account it is stored under');
    }
    return credential;
  }

  private damaged(serverUrl: string, detail: string): ProtocolError {
    return new ProtocolError(
      ErrorCode.StoreFailed,
      `The bridge keychain entry for "${serverUrl}" (${this.describe()}) is unusable: ${detail}. ` +
        'Log in to this server again to replace it.',
    );
  }
}

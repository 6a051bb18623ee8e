/**
 * The bridge store's entry format: the keychain secret (or file) of one server, compact JSON
 * `{"version":1, ...StoredCredential}`, checked field by field when read and before it is written.
 * Apart from bridge-store.ts so both of its sides (reads, and the writes and listings of
 * bridge-store-writes.ts) share one parser.
 */
import { accountName } from '../../shared/account';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { FieldReader, jsonType } from '../../shared/field-reader';
import type { StoredCredential } from './credential';
import { parseStoredRegistration } from './stored-registration';

/** Bumped only for changes an older host cannot read; new optional fields do not need it. */
export const BRIDGE_ENTRY_VERSION = 1;

const AUTH_METHODS = ['none', 'client_secret_post', 'client_secret_basic'] as const;

// Validation failures carry only a field name and a JSON type (shared/field-reader.ts), so the
// caller can wrap them with where the entry lives without any risk of quoting a token.
export class EntryFieldError extends Error {}

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

/** parseStoredCredential with the bare field error, for callers that say where the entry lives. */
export function parseOrThrowFieldError(json: string): StoredCredential {
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
export function validateEntry(o: Record<string, unknown>): StoredCredential {
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
export function toEntry(credential: StoredCredential): Record<string, unknown> {
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

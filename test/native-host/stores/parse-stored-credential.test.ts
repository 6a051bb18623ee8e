import { describe, expect, it } from 'vitest';
import type { StoredCredential } from '../../../native-host/stores/credential';
import {
  BRIDGE_ENTRY_VERSION,
  parseStoredCredential,
  serializeStoredCredential,
} from '../../../native-host/stores/bridge-store';
import { ErrorCode, ProtocolError } from '../../../shared/errors';

const ACCESS = 'at-SECRET-0123456789';
const REFRESH = 'rt-SECRET-abcdefghij';
const CLIENT_SECRET = 'cs-SECRET-zyxwvu';

const full: StoredCredential = {
  serverUrl: 'https://mcp.example.com/mcp',
  resource: 'https://mcp.example.com/mcp',
  issuer: 'https://accounts.example.com',
  clientId: 'client-1',
  clientSecret: CLIENT_SECRET,
  tokenEndpointAuthMethod: 'client_secret_post',
  accessToken: ACCESS,
  tokenType: 'Bearer',
  refreshToken: REFRESH,
  expiresAt: 1_800_000_000_000,
  scope: 'openid email',
  updatedAt: 1_700_000_000_000,
  loginNeeded: false,
};

const minimal: StoredCredential = {
  serverUrl: 'http://127.0.0.1:18765/mcp',
  resource: 'http://127.0.0.1:18765/mcp',
  issuer: 'http://127.0.0.1:18766',
  clientId: 'c',
  tokenEndpointAuthMethod: 'none',
  accessToken: ACCESS,
  tokenType: 'Bearer',
  expiresAt: null,
  scope: '',
  updatedAt: 0,
};

function entry(overrides: Record<string, unknown> = {}, base: StoredCredential = full): Record<string, unknown> {
  return { version: BRIDGE_ENTRY_VERSION, ...base, ...overrides };
}

function without(field: string): Record<string, unknown> {
  const o = entry();
  delete o[field];
  return o;
}

/** Asserts StoreFailed naming `field`, and that no secret from the input leaks into the message. */
function expectRejected(json: string, pattern: RegExp): ProtocolError {
  let caught: unknown;
  try {
    parseStoredCredential(json);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  const error = caught as ProtocolError;
  expect(error.code).toBe(ErrorCode.StoreFailed);
  expect(error.message).toMatch(pattern);
  for (const secret of [ACCESS, REFRESH, CLIENT_SECRET, 'SECRET']) expect(error.message).not.toContain(secret);
  return error;
}

describe('parseStoredCredential', () => {
  it('reads back what serializeStoredCredential wrote, with and without optional fields', () => {
    expect(parseStoredCredential(serializeStoredCredential(full))).toEqual(full);
    expect(parseStoredCredential(serializeStoredCredential(minimal))).toEqual(minimal);
  });

  it('serializes compact JSON with version 1 first and no undefined optional fields', () => {
    const json = serializeStoredCredential(minimal);
    expect(json.startsWith('{"version":1,"serverUrl":')).toBe(true);
    expect(json).not.toMatch(/\s/);
    expect(Object.keys(JSON.parse(json))).not.toContain('refreshToken');
    expect(Object.keys(JSON.parse(json))).not.toContain('clientSecret');
  });

  it('ignores unknown fields and leaves them out of the result', () => {
    const parsed = parseStoredCredential(JSON.stringify(entry({ idToken: 'x', future: { a: 1 } })));
    expect(parsed).toEqual(full);
    expect(parsed).not.toHaveProperty('idToken');
    expect(parsed).not.toHaveProperty('version');
  });

  it('rejects text that is not JSON without quoting it', () => {
    expectRejected(`not json ${ACCESS}`, /not valid JSON/);
    expectRejected(`{"accessToken":"${ACCESS}"`, /not valid JSON/);
    expectRejected('', /not valid JSON/);
  });

  it('rejects JSON that is not an object', () => {
    expectRejected(JSON.stringify([ACCESS]), /JSON object, got array/);
    expectRejected('null', /JSON object, got null/);
    expectRejected(JSON.stringify(ACCESS), /JSON object, got string/);
  });

  it('rejects a missing, wrong-typed or unknown version', () => {
    expectRejected(JSON.stringify(without('version')), /"version" is missing/);
    expectRejected(JSON.stringify(entry({ version: '1' })), /"version" must be the number 1, got string/);
    expectRejected(JSON.stringify(entry({ version: 2 })), /"version" is 2, .*reads version 1/);
    expectRejected(JSON.stringify(entry({ version: 0 })), /"version" is 0/);
  });

  it.each([
    'serverUrl',
    'resource',
    'issuer',
    'clientId',
    'tokenEndpointAuthMethod',
    'accessToken',
    'tokenType',
    'expiresAt',
    'scope',
    'updatedAt',
  ])('rejects an entry without %s, naming it', (field) => {
    expectRejected(JSON.stringify(without(field)), new RegExp(`"${field}" is missing`));
  });

  it.each([
    ['serverUrl', 42, /"serverUrl" must be a non-empty string, got number/],
    ['accessToken', '', /"accessToken" must not be empty/],
    ['accessToken', { value: ACCESS }, /"accessToken" must be a non-empty string, got object/],
    ['tokenType', null, /"tokenType" must be a non-empty string, got null/],
    ['scope', ['openid'], /"scope" must be a string, got array/],
    ['clientSecret', '', /"clientSecret" must not be empty/],
    ['clientSecret', null, /"clientSecret" must be a non-empty string, got null/],
    ['refreshToken', 7, /"refreshToken" must be a non-empty string, got number/],
    ['refreshToken', '', /"refreshToken" must not be empty/],
    ['tokenEndpointAuthMethod', 'private_key_jwt', /"tokenEndpointAuthMethod" must be one of none, client_secret_post, client_secret_basic/],
    ['tokenEndpointAuthMethod', 1, /"tokenEndpointAuthMethod" must be one of .*, got number/],
    ['expiresAt', '1800000000000', /"expiresAt" must be epoch milliseconds .* or null, got string/],
    ['expiresAt', -1, /"expiresAt" must be epoch milliseconds/],
    ['expiresAt', 1.5, /"expiresAt" must be epoch milliseconds/],
    ['updatedAt', null, /"updatedAt" must be epoch milliseconds \(a non-negative integer\), got null/],
    ['loginNeeded', 'true', /"loginNeeded" must be a boolean, got string/],
  ])('rejects %s = %j, naming the field', (field, value, pattern) => {
    expectRejected(JSON.stringify(entry({ [field]: value })), pattern);
  });

  it('reports the first problem in field order', () => {
    expectRejected(JSON.stringify({ version: 1, accessToken: ACCESS }), /^Bridge keychain entry is invalid: "serverUrl" is missing$/);
    expectRejected(JSON.stringify(entry({ issuer: 1, accessToken: 2 })), /"issuer" must be/);
  });

  it('accepts empty scope and null expiresAt', () => {
    expect(parseStoredCredential(JSON.stringify(entry({ scope: '', expiresAt: null })))).toMatchObject({
      scope: '',
      expiresAt: null,
    });
  });

  it('never puts a token into the message, whichever field is wrong', () => {
    // A token stored under the wrong field name, and the right field missing.
    const swapped = without('accessToken');
    swapped.access_token = ACCESS;
    const error = expectRejected(JSON.stringify(swapped), /"accessToken" is missing/);
    expect(error.message).toMatch(/^Bridge keychain entry is invalid: /);
  });
});

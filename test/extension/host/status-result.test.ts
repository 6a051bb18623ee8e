import { describe, expect, it } from 'vitest';
import { parseLogoutResult } from '../../../extension/lib/host/logout-result';
import { parseStatusResult } from '../../../extension/lib/host/status-result';
import { invalidMessage } from '../../helpers/invalid-host-response';

const credential = {
  serverUrl: 'https://mcp.example/mcp',
  issuer: 'https://accounts.example.com',
  clientId: 'client-1',
  scope: 'openid',
  expiresAt: 1_700_000_000_000,
  refreshCapable: true,
  store: 'bridge',
};
const codex = {
  client: 'codex',
  server: 'gmail',
  serverUrl: 'https://mcp.example/mcp',
  loggedIn: true,
  refreshCapable: false,
  expiresAt: null,
  issuer: 'https://accounts.google.com',
  store: 'keyring',
  reason: 'client secret missing from Codex config',
};
const status = { credentials: [credential], clients: [codex], pendingFlows: 0 };

describe('parseStatusResult', () => {
  it("takes our credential's reason and loginNeeded, and the damaged entries; refuses bad ones", () => {
    const parsed = parseStatusResult({
      ...status,
      credentials: [{ ...credential, refreshCapable: false, reason: 'the provider refused the refresh token', loginNeeded: true }],
      damaged: [{ serverUrl: 'https://broken.example/mcp', error: 'part 2 is missing', extra: 'dropped' }],
    });
    expect(parsed.credentials[0]).toMatchObject({ reason: 'the provider refused the refresh token', loginNeeded: true });
    expect(parsed.damaged).toEqual([{ serverUrl: 'https://broken.example/mcp', error: 'part 2 is missing' }]);
    // loginNeeded only as the literal true; anything else is not taken for it.
    expect(parseStatusResult({ ...status, credentials: [{ ...credential, loginNeeded: 'yes' }] }).credentials[0]!.loginNeeded).toBeUndefined();
    expect(invalidMessage(() => parseStatusResult({ ...status, damaged: [{ serverUrl: 'https://x.example/mcp', error: 'x'.repeat(5000) }] }))).toMatch(/error/);
    expect(invalidMessage(() => parseStatusResult({ ...status, damaged: 'all of them' }))).toMatch(/damaged/);
    expect(invalidMessage(() => parseStatusResult({ ...status, credentials: [{ ...credential, reason: 7 }] }))).toMatch(/reason/);
  });

  it("takes our credential's account as a bounded, printable name, and leaves out one that is not", () => {
    const one = (account: unknown) => parseStatusResult({ ...status, credentials: [{ ...credential, account }] }).credentials[0]!;
    expect(one('demo@example.test').account).toBe('demo@example.test');
    expect(one(`${'a'.repeat(250)}@example.test`).account).toBeUndefined();
    expect(one('evil\u001b[2J@example.test').account).toBeUndefined();
    expect(one('name\u202eresu').account).toBeUndefined();
    expect(one(42).account).toBeUndefined();
    expect(one('').account).toBeUndefined();
    // A bad account name does not cost the login its place in the list.
    expect(one(42)).toMatchObject({ serverUrl: credential.serverUrl, refreshCapable: true });
  });

  it('accepts a status result and copies only the known fields', () => {
    const parsed = parseStatusResult({
      ...status,
      accessToken: 'SECRET-1',
      credentials: [{ ...credential, refreshToken: 'SECRET-2' }],
      clients: [{ ...codex, accessToken: 'SECRET-3' }],
    });
    expect(parsed).toEqual(status);
    expect(JSON.stringify(parsed)).not.toContain('SECRET');
  });

  it('accepts a result without clients (their stores could not be read), an empty scope and optional client fields left out', () => {
    expect(parseStatusResult({ credentials: [{ ...credential, scope: '' }], pendingFlows: 2 })).toEqual({
      credentials: [{ ...credential, scope: '' }],
      pendingFlows: 2,
    });
    const bare = { client: 'claude-code', server: 's', serverUrl: 'https://a/mcp', loggedIn: false, refreshCapable: false, expiresAt: null };
    expect(parseStatusResult({ credentials: [], clients: [bare], pendingFlows: 0 }).clients).toEqual([bare]);
  });

  it("keeps each client's label and the clients' config problems, with their kind", () => {
    const problem = { target: 'codex', kind: 'config-unreadable', message: 'Codex config /h/.codex/config.toml: not valid TOML at line 3, column 1' };
    const parsed = parseStatusResult({ ...status, clients: [{ ...codex, label: 'Codex' }], clientProblems: [{ ...problem, extra: 'dropped' }] });
    expect(parsed.clients).toEqual([{ ...codex, label: 'Codex' }]);
    expect(parsed.clientProblems).toEqual([problem]);
    expect(invalidMessage(() => parseStatusResult({ ...status, clientProblems: [{ target: 'codex', message: 'm' }] }))).toMatch(/kind/);
    expect(invalidMessage(() => parseStatusResult({ ...status, clientProblems: [{ ...problem, kind: 'Not A Kind' }] }))).toMatch(/kind/);
    expect(invalidMessage(() => parseStatusResult({ ...status, clientProblems: 'broken' }))).toMatch(/clientProblems/);
  });

  it('skips clients this extension does not know, keeping the rest', () => {
    const parsed = parseStatusResult({ ...status, clients: [{ ...codex, client: 'future-client' }, codex] });
    expect(parsed.clients).toEqual([codex]);
  });

  it('refuses a malformed result, naming the field', () => {
    expect(invalidMessage(() => parseStatusResult(null))).toContain('"status"');
    expect(invalidMessage(() => parseStatusResult({ ...status, credentials: undefined }))).toContain('"credentials"');
    expect(invalidMessage(() => parseStatusResult({ ...status, credentials: ['x'] }))).toContain('"credentials"');
    expect(invalidMessage(() => parseStatusResult({ ...status, pendingFlows: -1 }))).toContain('"pendingFlows"');
    expect(invalidMessage(() => parseStatusResult({ ...status, pendingFlows: undefined }))).toContain('"pendingFlows"');
    expect(invalidMessage(() => parseStatusResult({ ...status, clients: {} }))).toContain('"clients"');
    expect(invalidMessage(() => parseStatusResult({ ...status, clients: Array(501).fill(codex) }))).toContain('"clients"');
    for (const [field, value] of [
      ['serverUrl', ''],
      ['issuer', 5],
      ['clientId', undefined],
      ['scope', null],
      ['expiresAt', '1700000000000'],
      ['refreshCapable', 'yes'],
      ['store', 'codex'],
    ] as const) {
      expect(invalidMessage(() => parseStatusResult({ ...status, credentials: [{ ...credential, [field]: value }] })), field).toContain(`"${field}"`);
    }
    for (const [field, value] of [
      ['client', ''],
      ['server', 3],
      ['serverUrl', undefined],
      ['loggedIn', 1],
      ['refreshCapable', undefined],
      ['expiresAt', Number.NaN],
      ['issuer', ''],
      ['store', 7],
      ['reason', { text: 'x' }],
      ['reason', 'x'.repeat(5000)],
    ] as const) {
      expect(invalidMessage(() => parseStatusResult({ ...status, clients: [{ ...codex, [field]: value }] })), field).toContain(`"${field}"`);
    }
  });
});

describe('parseLogoutResult', () => {
  const result = { serverUrl: 'https://mcp.example/mcp', removed: [{ target: 'bridge', location: 'keychain service "mcp-login-bridge"' }] };

  it('copies the known fields of each revocation outcome, nothing else', () => {
    for (const revocation of [
      { status: 'revoked', tokens: ['refresh_token'], notRevocable: ['access_token'] },
      { status: 'notRevocable', notRevocable: ['access_token', 'refresh_token'] },
      { status: 'unsupported' },
      { status: 'skipped', reason: 'the same login is still used by Codex' },
      { status: 'failed', reason: 'timed out' },
    ]) {
      expect(parseLogoutResult({ ...result, revocation: { ...revocation, refresh_token: 'SECRET' }, extra: 'SECRET' })).toEqual({ ...result, revocation });
    }
    expect(parseLogoutResult(result)).toEqual(result);
  });

  it('refuses a malformed result, naming the field', () => {
    expect(invalidMessage(() => parseLogoutResult({ ...result, removed: 'all' }))).toMatch(/removed/);
    expect(invalidMessage(() => parseLogoutResult({ ...result, revocation: { status: 'gone' } }))).toMatch(/revocation\.status/);
    expect(invalidMessage(() => parseLogoutResult({ ...result, revocation: { status: 'revoked', tokens: ['id_token'], notRevocable: [] } }))).toMatch(/tokens/);
    expect(invalidMessage(() => parseLogoutResult({ ...result, revocation: { status: 'failed', reason: 'x'.repeat(5000) } }))).toMatch(/reason/);
    expect(invalidMessage(() => parseLogoutResult({ removed: [] }))).toMatch(/serverUrl/);
  });
});

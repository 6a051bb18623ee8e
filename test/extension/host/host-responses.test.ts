import { describe, expect, it } from 'vitest';
import { normalizeLoopbackRedirectUri, parseBeginResult } from '../../../extension/lib/host/begin-result';
import { parseCompleteResult } from '../../../extension/lib/host/complete-result';
import { parseHelloResult, parseHostResponse } from '../../../extension/lib/host/host-responses';
import { invalidMessage } from '../../helpers/invalid-host-response';

const NOW = 1_700_000_000_000;
const REDIRECT = 'http://127.0.0.1:53682/callback';

function begin(overrides: Record<string, unknown> = {}, authorizeParams: Record<string, string> = {}) {
  const params = new URLSearchParams({ response_type: 'code', client_id: 'c', redirect_uri: REDIRECT, state: 'st1', ...authorizeParams });
  return {
    state: 'st1',
    authorizeUrl: `https://accounts.example.com/o/oauth2/auth?${params}`,
    redirectUri: REDIRECT,
    issuer: 'https://accounts.example.com',
    appliedRules: ['google'],
    expiresAt: NOW + 600_000,
    ...overrides,
  };
}

describe('parseHostResponse', () => {
  it('accepts both envelopes', () => {
    expect(parseHostResponse({ id: '1', ok: true, data: { a: 1 } })).toEqual({ id: '1', ok: true, data: { a: 1 } });
    expect(parseHostResponse({ id: '2', ok: false, error: { code: 300, name: 'UnknownState', message: 'no such state' } })).toEqual({
      id: '2',
      ok: false,
      error: { code: 300, name: 'UnknownState', message: 'no such state' },
    });
  });

  it('returns null for messages that cannot be matched to a request', () => {
    expect(parseHostResponse(null)).toBeNull();
    expect(parseHostResponse('x')).toBeNull();
    expect(parseHostResponse({ ok: true, data: 1 })).toBeNull();
    expect(parseHostResponse({ id: 'x'.repeat(65), ok: true, data: 1 })).toBeNull();
  });

  it('refuses malformed envelopes, naming the field', () => {
    expect(invalidMessage(() => parseHostResponse({ id: '1', ok: 'yes' }))).toContain('"ok"');
    expect(invalidMessage(() => parseHostResponse({ id: '1', ok: true }))).toContain('"data"');
    expect(invalidMessage(() => parseHostResponse({ id: '1', ok: false, error: { code: '300', name: 'n', message: 'm' } }))).toContain('"code"');
    expect(invalidMessage(() => parseHostResponse({ id: '1', ok: false }))).toContain('"error"');
  });
});

describe('parseHelloResult', () => {
  it('accepts a hello result', () => {
    expect(parseHelloResult({ hostVersion: '0.1.0', protocolVersion: 1, configRules: [] })).toEqual({
      hostVersion: '0.1.0',
      protocolVersion: 1,
      configRules: [],
    });
  });
  it('refuses a missing version', () => {
    expect(invalidMessage(() => parseHelloResult({ protocolVersion: 1 }))).toContain('"hostVersion"');
    expect(invalidMessage(() => parseHelloResult({ hostVersion: '1', protocolVersion: 1, configRules: {} }))).toContain('"configRules"');
  });
});

describe('parseBeginResult', () => {
  it('accepts a consistent begin result', () => {
    const r = parseBeginResult(begin(), NOW);
    expect(r.state).toBe('st1');
    expect(r.redirectUri).toBe(REDIRECT);
    expect(r.appliedRules).toEqual(['google']);
  });

  it('normalizes the redirect URI to the form the browser requests', () => {
    expect(normalizeLoopbackRedirectUri('http://127.0.0.1:80/cb')).toBe('http://127.0.0.1/cb');
    expect(normalizeLoopbackRedirectUri('http://LOCALHOST:5000')).toBe('http://localhost:5000/');
  });

  it('refuses redirect URIs the extension must not capture', () => {
    for (const redirectUri of [
      'https://127.0.0.1:5000/callback',
      'http://example.com:5000/callback',
      'http://127.0.0.2:5000/callback',
      'http://[::1]:5000/callback', // loopback, but outside the extension's host permissions
      'http://127.0.0.1:5000/callback?x=1',
      'http://127.0.0.1:5000/callback#f',
      'http://user:pw@127.0.0.1:5000/callback',
      'not a url',
    ]) {
      expect(invalidMessage(() => parseBeginResult(begin({ redirectUri }, { redirect_uri: redirectUri }), NOW)), redirectUri).toContain('redirectUri');
    }
  });

  it('refuses authorize URLs that are not https (http only on loopback)', () => {
    expect(invalidMessage(() => parseBeginResult(begin({ authorizeUrl: 'javascript:alert(1)' }), NOW))).toContain('authorizeUrl');
    expect(invalidMessage(() => parseBeginResult(begin({ authorizeUrl: `http://idp.example/auth?state=st1&redirect_uri=${REDIRECT}` }), NOW))).toContain(
      'https',
    );
    const loopback = `http://127.0.0.1:9000/authorize?${new URLSearchParams({ state: 'st1', redirect_uri: REDIRECT })}`;
    expect(parseBeginResult(begin({ authorizeUrl: loopback }), NOW).authorizeUrl).toBe(loopback);
    // The same loopback test as the host's (shared/loopback.ts): all of 127.0.0.0/8.
    const otherLoopback = `http://127.0.0.2:9000/authorize?${new URLSearchParams({ state: 'st1', redirect_uri: REDIRECT })}`;
    expect(parseBeginResult(begin({ authorizeUrl: otherLoopback }), NOW).authorizeUrl).toBe(otherLoopback);
  });

  it('refuses an authorize URL whose state or redirect_uri differ from the reported ones', () => {
    expect(invalidMessage(() => parseBeginResult(begin({}, { state: 'other' }), NOW))).toContain('"state"');
    expect(invalidMessage(() => parseBeginResult(begin({}, { redirect_uri: 'http://127.0.0.1:1/callback' }), NOW))).toContain('"redirect_uri"');
    const noState = `https://idp.example/auth?redirect_uri=${encodeURIComponent(REDIRECT)}`;
    expect(invalidMessage(() => parseBeginResult(begin({ authorizeUrl: noState }), NOW))).toContain('"state"');
  });

  it('accepts a pushed authorization request, which carries neither', () => {
    const par = 'https://idp.example/auth?client_id=c&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax';
    expect(parseBeginResult(begin({ authorizeUrl: par }), NOW).authorizeUrl).toBe(par);
  });

  it('refuses a flow that has already expired, or missing fields', () => {
    expect(invalidMessage(() => parseBeginResult(begin({ expiresAt: NOW - 1 }), NOW))).toContain('expiresAt');
    expect(invalidMessage(() => parseBeginResult(begin({ state: '' }), NOW))).toContain('"state"');
    expect(invalidMessage(() => parseBeginResult(begin({ appliedRules: [1] }), NOW))).toContain('appliedRules');
  });
});

describe('parseCompleteResult', () => {
  const complete = {
    serverUrl: 'https://mcp.example/mcp',
    issuer: 'https://accounts.example.com',
    stored: [{ target: 'bridge', location: 'keychain service mcp-login-bridge' }],
    refreshCapable: true,
    expiresAt: NOW + 3600_000,
    scope: 'openid',
    timings: { totalMs: 20, tokenEndpointMs: 12, storeMs: 3 },
  };

  it('copies the known fields only', () => {
    const r = parseCompleteResult({ ...complete, access_token: 'SECRET', extra: { refresh_token: 'SECRET' } });
    expect(JSON.stringify(r)).not.toContain('SECRET');
    expect(r).toEqual(complete);
  });

  it("keeps the host's CPU time among the timings when it is a number, and leaves it out otherwise", () => {
    expect(parseCompleteResult({ ...complete, timings: { ...complete.timings, cpuMs: 7.5 } }).timings).toEqual({ ...complete.timings, cpuMs: 7.5 });
    for (const cpuMs of ['7', Number.NaN, null]) {
      expect(parseCompleteResult({ ...complete, timings: { ...complete.timings, cpuMs } }).timings).toEqual(complete.timings);
    }
  });

  it("keeps the clients' server names and the host's notices, with their kind", () => {
    const stored = [complete.stored[0], { target: 'codex', location: '~/.codex/.credentials.json, key "gm|0123"', server: 'gm' }];
    const notices = [
      { target: 'codex', kind: 'settings-missing', server: 'gm', message: 'Codex refreshes gm only with the client secret in its config: add to …' },
      { target: 'claude-code', kind: 'not-configured', message: 'Claude Code has no server with url "https://mcp.example/mcp"; add it' },
    ];
    const r = parseCompleteResult({ ...complete, stored, notices: notices.map((n) => ({ ...n, extra: 'SECRET' })) });
    expect(r.stored).toEqual(stored);
    expect(r.notices).toEqual(notices);
    expect(JSON.stringify(r)).not.toContain('SECRET');
    // A kind this extension does not know yet (a newer host) is kept: it is only shown.
    expect(parseCompleteResult({ ...complete, notices: [{ ...notices[0], kind: 'some-new-kind' }] }).notices![0]!.kind).toBe('some-new-kind');
    expect(invalidMessage(() => parseCompleteResult({ ...complete, notices: [{ target: 'codex', message: 'no kind' }] }))).toContain('kind');
    expect(invalidMessage(() => parseCompleteResult({ ...complete, notices: {} }))).toContain('notices');
    expect(invalidMessage(() => parseCompleteResult({ ...complete, stored: [{ ...stored[1], server: 7 }] }))).toContain('server');
  });

  it('keeps the account as a bounded, printable name, and leaves out one that is not (the login still counts)', () => {
    expect(parseCompleteResult({ ...complete, account: 'alex@example.com' }).account).toBe('alex@example.com');
    for (const account of [`${'a'.repeat(250)}@example.com`, 'evil\u001b[2J@example.com', 'name\u202eresu', 42, '']) {
      const r = parseCompleteResult({ ...complete, account });
      expect(r).toEqual(complete);
    }
  });

  it('accepts a warning and a missing expiry', () => {
    const warning = { code: 401, name: 'NoRefreshToken', message: 'no refresh token; add rule x' };
    expect(parseCompleteResult({ ...complete, refreshCapable: false, expiresAt: null, warning })).toMatchObject({ warning, expiresAt: null });
  });

  it('refuses a malformed result', () => {
    expect(invalidMessage(() => parseCompleteResult({ ...complete, refreshCapable: 'yes' }))).toContain('refreshCapable');
    expect(invalidMessage(() => parseCompleteResult({ ...complete, stored: {} }))).toContain('stored');
    expect(invalidMessage(() => parseCompleteResult({ ...complete, warning: { code: 1 } }))).toContain('"name"');
  });
});

import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES, applyRule, findRule, parseRule } from '../../shared/providers';

describe('findRule', () => {
  it('matches Google by issuer and by authorize origin', () => {
    expect(findRule(BUILTIN_RULES, ['https://accounts.google.com'])?.id).toBe('google');
    expect(findRule(BUILTIN_RULES, ['https://example.com', 'https://accounts.google.com/o/oauth2/v2/auth?x=1'])?.id).toBe('google');
  });
  it('matches wildcard subdomains but not the bare or a look-alike domain', () => {
    expect(findRule(BUILTIN_RULES, ['https://acme.okta.com'])?.id).toBe('okta');
    expect(findRule(BUILTIN_RULES, ['https://okta.com'])).toBeUndefined();
    expect(findRule(BUILTIN_RULES, ['https://acme.okta.com.evil.test'])).toBeUndefined();
    expect(findRule(BUILTIN_RULES, ['https://evilokta.com'])).toBeUndefined();
  });
  it('does not match another scheme or port', () => {
    expect(findRule(BUILTIN_RULES, ['http://accounts.google.com'])).toBeUndefined();
    expect(findRule(BUILTIN_RULES, ['https://accounts.google.com:8443'])).toBeUndefined();
  });
  it('skips disabled rules and lets earlier rules win', () => {
    expect(findRule(BUILTIN_RULES, ['https://accounts.google.com'], new Set(['google']))).toBeUndefined();
    const mine = parseRule({ id: 'mine', origins: ['https://accounts.google.com'], params: { access_type: 'offline' } }, 'user');
    expect(findRule([mine, ...BUILTIN_RULES], ['https://accounts.google.com'])?.id).toBe('mine');
  });
});

describe('applyRule', () => {
  it('adds Google parameters and merges prompt values instead of replacing them', () => {
    const url = new URL('https://accounts.google.com/o/oauth2/v2/auth?client_id=c&prompt=select_account&scope=openid');
    const changed = applyRule(url, BUILTIN_RULES.find((r) => r.id === 'google')!);
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('prompt')).toBe('select_account consent');
    expect(changed.sort()).toEqual(['access_type', 'prompt']);
  });
  it('adds a scope once and reports nothing when already present', () => {
    const url = new URL('https://login.microsoftonline.com/t/oauth2/v2.0/authorize?scope=openid%20offline_access');
    expect(applyRule(url, { params: {}, addScopes: ['offline_access'] })).toEqual([]);
    expect(url.searchParams.get('scope')).toBe('openid offline_access');
  });
});

describe('parseRule', () => {
  it('accepts loopback http and https origins', () => {
    expect(parseRule({ id: 'test', origins: ['http://127.0.0.1:8080'], params: { access_type: 'offline' } }, 'config').origins).toEqual([
      'http://127.0.0.1:8080',
    ]);
  });
  it.each([
    [{ id: 'x', origins: ['http://example.com'], params: { a: 'b' } }, /https/],
    [{ id: 'x', origins: ['https://example.com/path'], params: { a: 'b' } }, /no path/],
    [{ id: 'x', origins: ['https://example.com'], params: { redirect_uri: 'https://evil' } }, /cannot be set/],
    [{ id: 'x', origins: ['https://example.com'], params: { state: 'x' } }, /cannot be set/],
    [{ id: 'x', origins: ['https://example.com'], params: { resource: 'https://evil' } }, /cannot be set/],
    [{ id: 'x', origins: ['https://example.com'], params: { response_mode: 'form_post' } }, /cannot be set/],
    [{ id: 'x', origins: [] , params: { a: 'b' } }, /non-empty/],
    [{ id: 'Bad Id', origins: ['https://example.com'], params: { a: 'b' } }, /"id"/],
    [{ id: 'x', origins: ['https://example.com'] }, /needs "params" or "addScopes"/],
  ])('rejects %j', (rule, message) => {
    expect(() => parseRule(rule, 'user')).toThrow(message);
  });

  it.each(['https://*.com', 'https://*.co.uk', 'https://*.com.au', 'https://*.localhost', 'https://*.ne.jp:8443'])(
    'refuses a wildcard on a public suffix (%s)',
    (origin) => {
      expect(() => parseRule({ id: 'x', origins: [origin], params: { a: 'b' } }, 'user')).toThrow(/is too broad: "\*\." must be followed by a domain of at least two labels/);
    },
  );

  it('accepts a wildcard under a registered domain', () => {
    for (const origin of ['https://*.okta.com', 'https://*.idp.example.co.uk', 'https://*.example.io', 'https://*.auth0.com:8443']) {
      expect(parseRule({ id: 'x', origins: [origin], params: { a: 'b' } }, 'user').origins).toEqual([origin]);
    }
  });

  it('accepts every built-in rule as it is', () => {
    for (const rule of BUILTIN_RULES) expect(parseRule(rule, 'builtin')).toEqual(rule);
  });

  it('accepts ordinary prompt values and scope tokens', () => {
    const rule = parseRule(
      { id: 'x', origins: ['https://idp.example'], params: { prompt: 'select_account consent', scope: 'openid', access_type: 'offline' }, addScopes: ['offline_access', 'a.b-c_d'] },
      'user',
    );
    expect(rule.params).toEqual({ prompt: 'select_account consent', scope: 'openid', access_type: 'offline' });
    expect(rule.addScopes).toEqual(['offline_access', 'a.b-c_d']);
    // Values of other parameters are encoded on the way, so they may hold URL characters.
    expect(parseRule({ id: 'x', origins: ['https://idp.example'], params: { login_hint: 'me@example.com&x=1#y' } }, 'user').params.login_hint).toBe('me@example.com&x=1#y');
  });

  // Set-valued tokens go unencoded into DNR regexes and a regexSubstitution (extension/lib/auto-capture/rewrite-rules.ts).
  it.each([
    [{ addScopes: ['offline_access&response_mode=fragment'] }, /"addScopes" entry "offline_access&response_mode=fragment" is not allowed/],
    [{ addScopes: ['offline_access', 'a=b'] }, /"addScopes" entry "a=b"/],
    [{ addScopes: ['x#frag'] }, /"addScopes" entry/],
    [{ addScopes: ['x%26y'] }, /"addScopes" entry/],
    [{ addScopes: ['a\\1b'] }, /"addScopes" entry/],
    [{ addScopes: ['x~y'] }, /"addScopes" entry/],
    [{ params: { prompt: 'consent&redirect_uri=https://evil.example/cb' } }, /param "prompt" value "consent&redirect_uri=https:\/\/evil.example\/cb" is not allowed/],
    [{ params: { prompt: 'select_account consent%26state%3Dx' } }, /param "prompt" value "consent%26state%3Dx"/],
    [{ params: { prompt: 'consent\\2' } }, /param "prompt"/],
    [{ params: { scope: 'openid&response_mode=fragment' } }, /param "scope"/],
    [{ params: { prompt: 'consent\tlogin' } }, /param "prompt"/],
    [{ params: { access_type: 'offline\\1' } }, /param "access_type" must not contain control characters or "\\"/],
    [{ params: { access_type: 'offline\r\nx' } }, /param "access_type" must not contain control characters/],
  ])('refuses a set-valued token or value that could inject into a request: %j', (fields, message) => {
    expect(() => parseRule({ id: 'x', origins: ['https://idp.example'], ...fields }, 'config')).toThrow(message);
  });
});

import { describe, expect, it } from 'vitest';
import { buildAuthorizeUrl, LISTED_OFFLINE_ACCESS_RULE } from '../../../native-host/oauth/authorize-url';
import { parseRule } from '../../../shared/providers';

const base = {
  clientId: 'client-1',
  redirectUri: 'http://127.0.0.1:5000/callback',
  state: 'st',
  codeChallenge: 'ch',
  scopes: ['openid', 'email'],
  resource: 'https://mcp.example/mcp',
  extraRules: [],
  disabledRules: [],
};

describe('buildAuthorizeUrl', () => {
  it('sends PKCE S256, state, resource and a loopback redirect, plus Google\'s offline parameters', () => {
    const { url, appliedRules } = buildAuthorizeUrl({
      ...base,
      as: { issuer: 'https://accounts.google.com', authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth' },
    });
    const p = url.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toBe('ch');
    expect(p.get('state')).toBe('st');
    expect(p.get('resource')).toBe('https://mcp.example/mcp');
    expect(p.get('redirect_uri')).toBe('http://127.0.0.1:5000/callback');
    expect(p.get('access_type')).toBe('offline');
    expect(p.get('prompt')).toBe('consent');
    expect(appliedRules).toEqual(['google']);
  });
  it('adds nothing for an unknown provider that does not list offline_access', () => {
    const { url, appliedRules } = buildAuthorizeUrl({ ...base, as: { issuer: 'https://as.test', authorization_endpoint: 'https://as.test/auth' } });
    expect(url.searchParams.has('access_type')).toBe(false);
    expect(url.searchParams.has('prompt')).toBe(false);
    expect(appliedRules).toEqual([]);
  });
  it('asks for offline_access when the server lists it', () => {
    const { url, appliedRules } = buildAuthorizeUrl({
      ...base,
      as: { issuer: 'https://as.test', authorization_endpoint: 'https://as.test/auth', scopes_supported: ['openid', 'offline_access'] },
    });
    expect(url.searchParams.get('scope')).toBe('openid email offline_access');
    expect(appliedRules).toEqual([LISTED_OFFLINE_ACCESS_RULE]);
  });
  it('applies a config rule for a loopback test provider, and honours a disabled built-in rule', () => {
    const rule = parseRule({ id: 'fixture', origins: ['http://127.0.0.1:9000'], params: { access_type: 'offline', prompt: 'consent' } }, 'config');
    const as = { issuer: 'http://127.0.0.1:9000', authorization_endpoint: 'http://127.0.0.1:9000/auth' };
    expect(buildAuthorizeUrl({ ...base, as, extraRules: [rule] }).appliedRules).toEqual(['fixture']);
    const google = { issuer: 'https://accounts.google.com', authorization_endpoint: 'https://accounts.google.com/auth' };
    expect(buildAuthorizeUrl({ ...base, as: google, disabledRules: ['google'] }).url.searchParams.has('access_type')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { encodeToUriChars, hasOnlyUriChars } from '../../shared/url-chars';

describe('hasOnlyUriChars', () => {
  it('accepts unreserved and reserved characters and valid escapes', () => {
    expect(hasOnlyUriChars("https://a.example:8443/p/a-t_h.~x?q=1&r=%2F+s;t=u,v!$'()*@#frag")).toBe(true);
    expect(hasOnlyUriChars('http://[::1]:9/x')).toBe(true);
  });
  it('refuses what shells and command lines read: | ^ %VAR% " ` < > { } \\ spaces, non-ASCII, controls', () => {
    for (const bad of ['https://e.example/a|b', 'https://e.example/a^b', 'https://e.example/%PATH%', 'https://e.example/%4', 'https://e.example/"', 'https://e.example/`', 'https://e.example/<', 'https://e.example/{', 'https://e.example/a\\b', 'https://e.example/a b', 'https://e.example/é', 'https://e.example/\n']) {
      expect(hasOnlyUriChars(bad), bad).toBe(false);
    }
  });
});

describe('encodeToUriChars', () => {
  it('leaves a clean URL unchanged', () => {
    const clean = 'https://a.example/p?x=%20y&z=a+b#f';
    expect(encodeToUriChars(clean)).toBe(clean);
  });
  it('escapes the rest as UTF-8, and a bare % as %25', () => {
    expect(encodeToUriChars('https://e.example/a|b^c?%WINDIR%=%zz&%4')).toBe('https://e.example/a%7Cb%5Ec?%25WINDIR%25=%25zz&%254');
    expect(encodeToUriChars('https://e.example/€😀')).toBe('https://e.example/%E2%82%AC%F0%9F%98%80');
    expect(hasOnlyUriChars(encodeToUriChars('https://e.example/\u0000 "\ud800'))).toBe(true);
  });
});

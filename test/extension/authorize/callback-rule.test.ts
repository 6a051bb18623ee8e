import { describe, expect, it } from 'vitest';
import { buildCallbackRule, callbackRegexFilter, escapeRegex, isCallbackRule, lowestFreeRuleId } from '../../../extension/lib/authorize/callback-capture';

const PAGE = 'chrome-extension://cknjhbicbpaggfnhoaonbipdmdhholpc/callback.html';

/** Applies a rule's regexFilter and regexSubstitution the way the browser does (JS RegExp here). */
function redirectOf(rule: ReturnType<typeof buildCallbackRule>, url: string): string | null {
  const re = new RegExp(rule.condition.regexFilter);
  const m = re.exec(url);
  if (!m) return null;
  return rule.action.redirect.regexSubstitution.replace(/\\(\d)/g, (_, n: string) => m[Number(n)] ?? '');
}

describe('escapeRegex', () => {
  it('escapes every character with a meaning in a regex', () => {
    const nasty = 'a.b*c+d?e(f)g[h]i{j}k|l^m$n\\o';
    expect(new RegExp(`^${escapeRegex(nasty)}$`).test(nasty)).toBe(true);
    expect(escapeRegex('.')).toBe('\\.');
    expect(escapeRegex('a.b')).not.toBe('a.b');
  });

  it('leaves characters alone that would be an invalid escape in unicode mode', () => {
    // Firefox may compile with the u flag, where "\-" or "\/" outside a class is a syntax error.
    expect(() => new RegExp(escapeRegex('http://h/a-b/c'), 'u')).not.toThrow();
    expect(escapeRegex('a-b/c')).toBe('a-b/c');
  });
});

describe('callback capture rule', () => {
  const redirectUri = 'http://127.0.0.1:8123/callback';
  const rule = buildCallbackRule({ id: 7, redirectUri, callbackPageUrl: PAGE, tabId: 42 });

  it('redirects the exact redirect URI with its whole query to the callback page', () => {
    expect(redirectOf(rule, `${redirectUri}?code=abc&state=s1`)).toBe(`${PAGE}?code=abc&state=s1`);
    expect(redirectOf(rule, `${redirectUri}?error=access_denied&state=s1&iss=https%3A%2F%2Fidp`)).toBe(
      `${PAGE}?error=access_denied&state=s1&iss=https%3A%2F%2Fidp`,
    );
  });

  it('matches nothing but that URI', () => {
    for (const other of [
      'http://127.0.0.1:81234/callback?code=abc', // a port that starts with the same digits
      'http://127.0.0.1:812/callback?code=abc',
      'http://127.0.0.1:8124/callback?code=abc',
      'http://127.0.0.1:8123/callback/more?code=abc', // longer path
      'http://127.0.0.1:8123/callbacks?code=abc',
      'http://127.0.0.1:8123/Callback?code=abc', // case differs (the rule is case-sensitive)
      'http://127.0.0.1:8123/callback', // no query
      'http://localhost:8123/callback?code=abc',
      'https://127.0.0.1:8123/callback?code=abc',
      'http://127.0.0.1:8123/cal?back?code=abc',
      'http://127x0x0x1:8123/callback?code=abc', // dots are literal
      'http://evil.example/?u=http://127.0.0.1:8123/callback?code=abc', // not anchored at the start
    ]) {
      expect(redirectOf(rule, other), other).toBeNull();
    }
  });

  it('treats special characters in the path literally', () => {
    const odd = 'http://127.0.0.1:9000/cb(1)+x.y';
    const r = buildCallbackRule({ id: 1, redirectUri: odd, callbackPageUrl: PAGE });
    expect(redirectOf(r, `${odd}?state=s`)).toBe(`${PAGE}?state=s`);
    expect(redirectOf(r, 'http://127.0.0.1:9000/cb1+x.y?state=s')).toBeNull();
    expect(redirectOf(r, 'http://127.0.0.1:9000/cb(1)xxy?state=s')).toBeNull();
  });

  it('is a main-frame, case-sensitive redirect scoped to the flow tab', () => {
    expect(rule).toEqual({
      id: 7,
      priority: 100,
      action: { type: 'redirect', redirect: { regexSubstitution: `${PAGE}?\\1` } },
      condition: {
        regexFilter: callbackRegexFilter(redirectUri),
        isUrlFilterCaseSensitive: true,
        resourceTypes: ['main_frame'],
        tabIds: [42],
      },
    });
    expect(buildCallbackRule({ id: 1, redirectUri, callbackPageUrl: PAGE }).condition).not.toHaveProperty('tabIds');
  });

  it('recognizes its own rules for cleanup', () => {
    expect(isCallbackRule(rule, PAGE)).toBe(true);
    expect(isCallbackRule({ action: { redirect: { regexSubstitution: 'https://other/?\\1' } } }, PAGE)).toBe(false);
    expect(isCallbackRule({ action: {} }, PAGE)).toBe(false);
  });
});

describe('lowestFreeRuleId', () => {
  it('picks the smallest positive id not in use', () => {
    expect(lowestFreeRuleId([])).toBe(1);
    expect(lowestFreeRuleId([1, 2, 4])).toBe(3);
    expect(lowestFreeRuleId([2, 3])).toBe(1);
    expect(lowestFreeRuleId([1, 2, 3])).toBe(4);
  });
});

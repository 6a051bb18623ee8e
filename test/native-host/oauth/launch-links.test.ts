import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../../shared/protocol';
import { LaunchLinks, START_PATH } from '../../../native-host/oauth/launch-links';

const AUTHORIZE = 'https://accounts.example/o/auth?response_type=code&state=STATE&code_challenge=CHALLENGE';

/** The `name=value` of a Set-Cookie header, as a browser sends it back. */
const cookieOf = (setCookie: string) => setCookie.split(';')[0]!;

function opened(links: LaunchLinks, path: string) {
  const answer = links.open(path.slice(START_PATH.length));
  if (answer.kind !== 'redirect') throw new Error(`expected a redirect, got ${answer.kind}`);
  return answer;
}

describe('LaunchLinks', () => {
  it('gives a link that says nothing of the login, and redirects its first visit with a cookie for the callback only', () => {
    const links = new LaunchLinks();
    const path = links.create('STATE', AUTHORIZE);
    expect(path).toMatch(/^\/start\/[\w-]{22}$/);
    expect(path).not.toMatch(/STATE|CHALLENGE/);
    const answer = opened(links, path);
    expect(answer.location).toBe(AUTHORIZE);
    expect(answer.setCookie).toMatch(/^mlb_login_[0-9a-f]{12}=[\w-]{43}; Path=\/callback; Max-Age=600; HttpOnly; SameSite=Lax$/);
    expect(links.checkCallback('STATE', cookieOf(answer.setCookie))).toBe('accepted');
    expect(links.checkCallback('STATE', `other=1; ${cookieOf(answer.setCookie)}; more=2`)).toBe('accepted');
  });

  it('refuses a callback without the cookie, with another value, or with another login\'s cookie', () => {
    const links = new LaunchLinks();
    const first = opened(links, links.create('S1', AUTHORIZE));
    const second = opened(links, links.create('S2', AUTHORIZE));
    expect(cookieOf(first.setCookie).split('=')[0]).not.toBe(cookieOf(second.setCookie).split('=')[0]);
    expect(links.checkCallback('S1', undefined)).toBe('refused');
    expect(links.checkCallback('S1', '')).toBe('refused');
    expect(links.checkCallback('S1', cookieOf(second.setCookie))).toBe('refused');
    const [name, value] = cookieOf(first.setCookie).split('=') as [string, string];
    expect(links.checkCallback('S1', `${name}=${value.slice(0, -1)}x`)).toBe('refused');
    expect(links.checkCallback('S1', `${name}=${value}x`)).toBe('refused');
    expect(links.checkCallback('S1', `${name}=`)).toBe('refused');
  });

  it('leaves logins it did not launch to the other checks', () => {
    const links = new LaunchLinks();
    links.create('S1', AUTHORIZE);
    expect(links.checkCallback('S-extension', undefined)).toBe('not-launched');
    expect(links.checkCallback(null, undefined)).toBe('not-launched');
  });

  it('a second visit calls the login off: no redirect, no cookie, and even the first visitor\'s cookie is refused', () => {
    const links = new LaunchLinks();
    const path = links.create('STATE', AUTHORIZE);
    const first = opened(links, path);
    expect(links.open(path.slice(START_PATH.length))).toEqual({ kind: 'reused', state: 'STATE' });
    expect(links.checkCallback('STATE', cookieOf(first.setCookie))).toBe('refused');
    expect(links.open(path.slice(START_PATH.length))).toEqual({ kind: 'unknown' });
  });

  it('a visitor known to be the user gets the same redirect and cookie again', () => {
    const links = new LaunchLinks();
    const path = links.create('STATE', AUTHORIZE);
    const first = opened(links, path);
    const again = links.open(path.slice(START_PATH.length), { visitorIsUser: true });
    expect(again).toEqual(first);
    expect(links.checkCallback('STATE', cookieOf(first.setCookie))).toBe('accepted');
    // Not known to be the user: the one-time rule holds.
    expect(links.open(path.slice(START_PATH.length))).toEqual({ kind: 'reused', state: 'STATE' });
  });

  it('knows no other link, and forgets a login at its deadline', () => {
    let now = 0;
    const links = new LaunchLinks(() => now);
    expect(links.open('not-a-nonce')).toEqual({ kind: 'unknown' });
    const path = links.create('STATE', AUTHORIZE);
    now = LIMITS.flowTtlMs - 1000;
    const answer = opened(links, path);
    expect(answer.setCookie).toContain('Max-Age=1;');
    now = LIMITS.flowTtlMs;
    expect(links.checkCallback('STATE', cookieOf(answer.setCookie))).toBe('not-launched');
  });
});

/**
 * Plays a browser for server-side tests: follows an authorize URL's redirects, carrying cookies,
 * until the provider sends it to the redirect URI, and returns that callback URL unvisited.
 * End-to-end tests use real Chromium instead; this is for testing the host and fixtures alone.
 */

/** Just enough of a browser's cookie handling to carry oidc-provider's path-scoped cookies. */
export class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = new Map(
        attributes.map((a) => {
          const i = a.indexOf('=');
          return i === -1 ? [a.toLowerCase(), ''] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
        }),
      );
      const path = attr.get('path') || '/';
      const expired = value === '' || attr.get('max-age') === '0' || (attr.has('expires') && Date.parse(attr.get('expires')!) <= Date.now());
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

export interface FollowResult {
  callback: URL;
  /** Every URL visited before the callback. */
  visited: URL[];
}

export async function followToCallback(authorizeUrl: string | URL, redirectUri: string, jar = new CookieJar()): Promise<FollowResult> {
  const visited: URL[] = [];
  let current = new URL(authorizeUrl);
  for (let hop = 0; hop < 10; hop += 1) {
    visited.push(current);
    const response = await fetch(current, { redirect: 'manual', headers: { cookie: jar.header(current) } });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new Error(`no redirect from ${current.pathname}: HTTP ${response.status} ${await response.text()}`);
    }
    await response.body?.cancel();
    const next = new URL(location, current);
    if (`${next.origin}${next.pathname}` === redirectUri) return { callback: next, visited };
    current = next;
  }
  throw new Error('too many redirects');
}

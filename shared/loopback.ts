/**
 * Loopback addresses (RFC 8252 §7.3, §8.3). Plain http is acceptable only to these: the request
 * never leaves the machine.
 */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** https anywhere, or http to a loopback host. */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** An http URL on a loopback host: the shape of a native app's redirect_uri. */
export function isLoopbackHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' && isLoopbackHost(u.hostname);
  } catch {
    return false;
  }
}

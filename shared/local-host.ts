/**
 * "Is (or may be) this machine": the question a remote server's URLs must answer no to before the
 * host requests them (no SSRF into local services on a remote server's say-so). Deliberately broad,
 * unlike `isLoopbackHost` in ./loopback, which decides the narrower "plain http is acceptable here"
 * and must stay strict. A DNS name that resolves to a local address is not caught here (that needs
 * a resolver); the host checks resolved addresses too (native-host/oauth/guarded-fetch.ts).
 *
 * Pure string and number work, no Node or browser APIs beyond URL, so both sides can use it.
 */

/**
 * A host name or IP literal, as in `URL.hostname` (IPv6 in brackets) or as a resolver returns it
 * (IPv6 bare). Names: `localhost` and `*.localhost` (RFC 6761 §6.3), with or without trailing
 * dots. Addresses: see `isLocalAddress`.
 */
export function isLocalHost(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return isLocalAddress(name);
}

/**
 * IPv4 0.0.0.0/8 (unspecified; Linux connects 0.0.0.0 to itself), 127.0.0.0/8, 169.254.0.0/16
 * (link-local, where cloud metadata services live); IPv6 ::/96 (unspecified, ::1, and the
 * deprecated IPv4-compatible form), fe80::/10, and IPv4-mapped ::ffff:a.b.c.d of a local IPv4.
 * Private ranges (RFC 1918, fc00::/7) are not local: intranet servers are legitimate. Anything
 * that is not an IP literal is not local here.
 */
export function isLocalAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (bare.includes(':')) {
    const groups = parseIPv6(bare);
    return groups !== null && isLocalIPv6(groups);
  }
  const v4 = parseIPv4(bare);
  return v4 !== null && isLocalIPv4(v4);
}

function isLocalIPv4([a, b]: number[]): boolean {
  return a === 0 || a === 127 || (a === 169 && b === 254);
}

function isLocalIPv6(g: number[]): boolean {
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(6)) return true; // ::, ::1, ::a.b.c.d
  if ((g[0]! & 0xffc0) === 0xfe80) return true;
  if (zeros(5) && g[5] === 0xffff) return isLocalIPv4([g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff]);
  return false;
}

/**
 * Any IPv4 form the WHATWG URL parser accepts (`0`, `127.1`, `0x7f.0.0.1`, trailing dot): it
 * normalises them to dotted decimal, which is what browsers and Node connect to. Not an IPv4
 * literal (a DNS name) → null.
 */
function parseIPv4(text: string): number[] | null {
  if (!/^[0-9a-fx.]+$/i.test(text)) return null;
  let hostname: string;
  try {
    hostname = new URL(`http://${text}/`).hostname;
  } catch {
    return null;
  }
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** Eight 16-bit groups, or null when the text is not an IPv6 address (zone ids are dropped). */
function parseIPv6(text: string): number[] | null {
  let addr = text.split('%')[0]!.toLowerCase();
  const lastColon = addr.lastIndexOf(':');
  const v4Tail = addr.slice(lastColon + 1);
  if (v4Tail.includes('.')) {
    // An embedded IPv4 tail (::ffff:127.0.0.1) is the last two groups written another way.
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4Tail);
    const [a, b, c, d] = (m ? m.slice(1).map(Number) : []) as number[];
    if (!m || [a!, b!, c!, d!].some((p) => p > 255)) return null;
    addr = `${addr.slice(0, lastColon + 1)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const halves = addr.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((h) => (/^[0-9a-f]{1,4}$/.test(h) ? parseInt(h, 16) : NaN)));
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  if ([...left, ...right].some(Number.isNaN)) return null;
  if (halves.length === 1) return left.length === 8 ? left : null;
  const fill = 8 - left.length - right.length;
  if (fill < 1) return null;
  return [...left, ...new Array<number>(fill).fill(0), ...right];
}

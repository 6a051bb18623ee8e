/**
 * Which proxy a request goes through, from the environment as curl, Python and undici read it:
 * `https_proxy`/`HTTPS_PROXY` for https URLs (falling back to the http one, as undici's
 * EnvHttpProxyAgent does), `http_proxy`/`HTTP_PROXY` for http URLs, the lower-case spelling first;
 * `no_proxy`/`NO_PROXY` lists hosts reached directly.
 *
 * NO_PROXY entries are separated by commas or spaces: `*` (everything), a host name (that host and
 * its subdomains, as curl reads it), `.example.com` or `*.example.com` (subdomains and the domain),
 * an IP address, each optionally with `:port`. Address ranges (CIDR) are not understood. Loopback
 * addresses are not exempt by themselves: list them (`NO_PROXY=localhost,127.0.0.1`) if the proxy
 * cannot reach them.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';

export interface ProxyChoice {
  /** The proxy's URL (may hold user:password for Proxy-Authorization; never put it in a message). */
  url: URL;
  /** The variable it came from, for messages. */
  variable: string;
}

function firstSet(env: NodeJS.ProcessEnv, names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** The proxy's origin without credentials: what messages may show. */
export function proxyLabel(choice: ProxyChoice): string {
  return `${choice.url.protocol}//${choice.url.host} (${choice.variable})`;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

function bareHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
}

/** Whether NO_PROXY says to reach `url` directly. */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = bareHost(url.hostname);
  const port = url.port || defaultPort(url.protocol);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    // host, host:port, [v6], [v6]:port; a bare IPv6 address has several colons and no port.
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    const hostPort = /^([^:]+)(?::(\d+))?$/.exec(entry);
    const [name, entryPort] = bracketed ? [bracketed[1]!, bracketed[2]] : hostPort ? [hostPort[1]!, hostPort[2]] : [entry, undefined];
    if (entryPort && entryPort !== port) continue;
    const suffix = name.replace(/^\*?\./, '');
    if (host === suffix || host.endsWith(`.${suffix}`)) return true;
  }
  return false;
}

/**
 * The proxy for a request to `url`, or undefined to connect directly.
 *
 * @throws ProtocolError DiscoveryFailed when the variable is not an http(s) proxy URL, naming the
 *   variable (its value may hold a password, so it is not quoted).
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): ProxyChoice | undefined {
  const names = url.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  const set = firstSet(env, names);
  if (!set) return undefined;
  if (bypassesProxy(url, firstSet(env, ['no_proxy', 'NO_PROXY'])?.value)) return undefined;
  let proxy: URL;
  try {
    // "proxy.corp:3128" without a scheme means http, as curl takes it.
    proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(set.value) ? set.value : `http://${set.value}`);
  } catch {
    throw new ProtocolError(ErrorCode.DiscoveryFailed, `${set.name} is not a proxy URL; set it like http://proxy.example:3128 (or unset it)`);
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new ProtocolError(ErrorCode.DiscoveryFailed, `${set.name} names a ${proxy.protocol.replace(':', '')} proxy; only http:// and https:// proxies are supported`);
  }
  return { url: proxy, variable: set.name };
}

/**
 * Recognizes the first request of another local tool's login, a native app's in RFC 8252's terms (a
 * "native app" here is the tool, not this project's native host): an OAuth authorization request
 * (`response_type=code`, a `client_id`) whose `redirect_uri` is plain http on a loopback address,
 * any port. Codex, Claude Code and mcp-remote all open such a URL; a website's "Sign in with …"
 * never has a loopback redirect, so it is never recognized.
 */
import { LIMITS } from '../../../shared/protocol';
import { isLoopbackHttpUrl } from '../../../shared/loopback';

export interface ToolAuthorizeRequest {
  /** Origin of the server the tool sent the user to (the provider, or an MCP server's own AS). */
  serverOrigin: string;
  clientId: string;
  /** The loopback redirect URI without query or fragment: where the chain ends. */
  redirectUri: string;
  redirectPort: number;
}

/** Returns the parsed request, or null when `url` is not a native app's authorization request. */
export function parseToolAuthorizeRequest(url: string): ToolAuthorizeRequest | null {
  // Called for every main-frame navigation of the browser: a substring test first, so an ordinary
  // page costs no URL parsing. `URLSearchParams` would also decode an escaped name (`redirect%5Furi`);
  // the tools this serves all send it literally.
  if (url.length > LIMITS.maxUrlLength || !url.includes('redirect_uri=')) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
  const responseType = u.searchParams.get('response_type');
  const clientId = u.searchParams.get('client_id');
  const redirect = u.searchParams.get('redirect_uri');
  if (!responseType || !responseType.split(' ').includes('code')) return null;
  if (!clientId || clientId.length > 256) return null;
  if (!redirect || !isLoopbackHttpUrl(redirect)) return null;
  const r = new URL(redirect);
  return {
    serverOrigin: u.origin,
    clientId,
    redirectUri: `${r.origin}${r.pathname}`,
    redirectPort: Number(r.port || 80),
  };
}

/** Whether `url` is a request to the chain's loopback redirect URI (any query): the callback. */
export function isCallbackFor(url: string, redirectUri: string): boolean {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}` === redirectUri;
  } catch {
    return false;
  }
}

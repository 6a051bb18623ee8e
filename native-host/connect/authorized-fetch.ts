/**
 * The fetch the SDK's transports use for every request to the server: adds the bearer token, and
 * answers the server's auth challenges before the transport sees them (so the transport, and the
 * client behind it, see only the request succeeding or a clear error):
 * - 401: the token was refused before its time (revoked, rotated keys): refresh once, retry once
 *   (MCP authorization, "Token Handling"; RFC 6750 §3.1 `invalid_token`);
 * - 403 `insufficient_scope`: log in again with the union of scopes (step-up.ts), then retry.
 * Request bodies are strings (the transports serialize each message), so a retry sends the same bytes.
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { connectionFailure, NetworkError } from '../http/network-error';
import { headerRecord } from './http-fetch';
import { ConnectError } from './rpc-errors';
import type { StepUp } from './step-up';
import type { TokenSource } from './token-source';

export interface AuthorizedFetchOptions {
  tokens: TokenSource;
  /** Absent with --no-login: a scope challenge becomes an error that says what to run. */
  stepUp?: StepUp;
  base?: FetchLike;
  /** Sees each response before the transport does (the relay watches response streams: jsonrpc-relay.ts). */
  observe?: (init: RequestInit | undefined, response: Response) => Response;
}

/** RFC 6750 §3: the parameters of a Bearer challenge (quoted or token values). */
export function bearerChallenge(response: Response): { error?: string; scope?: string } {
  const header = response.headers.get('www-authenticate');
  if (!header || !/^\s*bearer\b/i.test(header)) return {};
  const param = (name: string) => new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*(?:"([^"]*)"|([^\\s,]+))`, 'i').exec(header.replace(/^\s*bearer/i, ' '));
  const value = (name: string) => {
    const m = param(name);
    return m ? (m[1] ?? m[2]) : undefined;
  };
  const error = value('error');
  const scope = value('scope');
  return { ...(error ? { error } : {}), ...(scope ? { scope } : {}) };
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/**
 * A request that reached no server, as the host words it (DNS, refused, timeout, unreachable: each
 * with what to do), whichever fetch failed; nothing the server sent is quoted.
 */
function unreachable(error: unknown, url: URL): ConnectError {
  const failure = error instanceof NetworkError ? error : connectionFailure((error as { cause?: unknown }).cause ?? error, url, undefined);
  if (failure) return new ConnectError('server-unreachable', failure.message, undefined, failure.kind);
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const what = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : String(error);
  return new ConnectError('server-unreachable', `cannot reach ${url.origin} (${what.slice(0, 200)})`);
}

export function authorizedFetch(options: AuthorizedFetchOptions): FetchLike {
  const { tokens, stepUp } = options;
  const base = options.base ?? fetch;
  const send = async (url: string | URL, init: RequestInit | undefined, token: string): Promise<Response> => {
    // A plain record: both fetches take one, and it costs no Headers object per message.
    const headers = headerRecord(init?.headers) as Record<string, string>;
    headers.authorization = `Bearer ${token}`;
    try {
      return await base(url, { ...init, headers });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw unreachable(error, new URL(url));
    }
  };
  return async (url, init) => {
    let token = await tokens.token();
    let response = await send(url, init, token);
    if (response.status === 401) {
      await response.body?.cancel();
      token = await tokens.afterRefused(token);
      response = await send(url, init, token);
      if (response.status === 401) {
        await response.body?.cancel();
        throw new ConnectError('unauthorized', `${tokens.serverUrl} refused a freshly refreshed access token (HTTP 401); run: mcp-login-bridge login ${tokens.serverUrl}`, 401);
      }
    }
    while (response.status === 403) {
      const { error, scope } = bearerChallenge(response);
      if (error !== 'insufficient_scope') break;
      await response.body?.cancel();
      const needed = scope ?? '';
      if (!stepUp) {
        throw new ConnectError('insufficient-scope', `${tokens.serverUrl} needs scope(s) "${needed}" that the login does not hold; log in again with them (connect without --no-login does it)`, 403);
      }
      if (!(await stepUp.request(tokens.scope, needed))) {
        throw new ConnectError('insufficient-scope', `${tokens.serverUrl} needs scope(s) "${needed}", and the provider did not grant them in the login(s) just made`, 403);
      }
      tokens.forget();
      token = await tokens.token();
      response = await send(url, init, token);
    }
    return options.observe ? options.observe(init, response) : response;
  };
}

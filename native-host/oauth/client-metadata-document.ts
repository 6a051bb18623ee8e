/**
 * Checks a configured Client ID Metadata Document the way the authorization server will read it,
 * so `doctor` can say what is wrong before a login fails on the server's error page: the document
 * at the URL must be a JSON object whose `client_id` is exactly that URL (the spec's rule), with a
 * `client_name`, `redirect_uris` holding a loopback `http://127.0.0.1…/callback` URI this host can
 * receive (port-less, so that any port matches), and no secret (a public client:
 * `token_endpoint_auth_method` "none" or absent, no `client_secret`).
 */
import { guardedFetch } from './guarded-fetch';
import { policyFor, requestTimeoutMs } from './http-options';

const MAX_DOCUMENT_BYTES = 64 * 1024;

/** What is wrong with the document as served, or an empty list. */
export function documentProblems(url: string, document: unknown): string[] {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return ['it is not a JSON object'];
  const d = document as Record<string, unknown>;
  const problems: string[] = [];
  if (d.client_id !== url) problems.push(`its "client_id" must be exactly ${url}`);
  if (typeof d.client_name !== 'string' || !d.client_name) problems.push('it needs a "client_name"');
  const uris = Array.isArray(d.redirect_uris) ? d.redirect_uris.filter((u): u is string => typeof u === 'string') : [];
  const loopback = uris.filter((u) => URL.canParse(u) && new URL(u).protocol === 'http:' && new URL(u).hostname === '127.0.0.1' && new URL(u).pathname === '/callback');
  if (!loopback.length) problems.push('its "redirect_uris" must include http://127.0.0.1/callback (where this host receives the login)');
  else if (!loopback.some((u) => new URL(u).port === '')) {
    problems.push('its loopback redirect URI names a port, but the host listens on a random one: use http://127.0.0.1/callback');
  }
  if ('client_secret' in d || 'client_secret_expires_at' in d) problems.push('it must not hold a client secret (it is public)');
  if (d.token_endpoint_auth_method !== undefined && d.token_endpoint_auth_method !== 'none') {
    problems.push('its "token_endpoint_auth_method" must be "none" (or absent)');
  }
  return problems;
}

/** Fetches the document at `url` and returns what is wrong with it (an unreachable one included). */
export async function checkClientMetadataDocument(url: string): Promise<string[]> {
  let response: Response;
  try {
    response = await guardedFetch(policyFor(url), { maxBytes: MAX_DOCUMENT_BYTES })(url, {
      redirect: 'manual',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(requestTimeoutMs()),
    });
  } catch (err) {
    return [`it cannot be fetched: ${(err as Error).message.slice(0, 200)}`];
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    // Servers fetch it without following redirects (oidc-provider, the draft's SSRF advice).
    return [`fetching it answers HTTP ${response.status}, not 200${response.status >= 300 && response.status < 400 ? ' (authorization servers do not follow redirects)' : ''}`];
  }
  let document: unknown;
  try {
    document = await response.json();
  } catch {
    return ['it is not valid JSON'];
  }
  return documentProblems(url, document);
}

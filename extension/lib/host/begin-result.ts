/**
 * The `begin` answer, checked before the extension opens its URL and arms a capture for its
 * redirect: the tab goes where this says and the capture rule matches what this says, so a
 * surprising answer is refused rather than half-used.
 */
import { isObject } from '../../../shared/field-reader';
import { isLoopbackHost } from '../../../shared/loopback';
import { LIMITS, type BeginResult } from '../../../shared/protocol';
import { invalid, num, parseUrl, str } from './answer-fields';

/** Hosts the manifest grants access to; a capture rule for any other host would be skipped silently. */
const CAPTURABLE_LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/**
 * Normalizes and checks a loopback redirect URI: `http://127.0.0.1:<port>/<path>` or
 * `http://localhost:<port>/<path>`, no query, fragment or credentials. Returns the URL as the
 * browser will request it (`URL.href`), which is what the capture rule must match.
 */
export function normalizeLoopbackRedirectUri(value: string): string {
  const url = parseUrl(value, 'redirectUri');
  if (url.protocol !== 'http:' || !CAPTURABLE_LOOPBACK_HOSTS.has(url.hostname)) {
    invalid('"redirectUri" must be http://127.0.0.1:<port>/… or http://localhost:<port>/…');
  }
  if (url.username || url.password || url.search || url.hash) {
    invalid('"redirectUri" must have no credentials, query or fragment');
  }
  return url.href;
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

/**
 * Checks a `begin` result before the extension opens its URL and arms a capture for its redirect:
 * the authorize URL must be https (http only on loopback, as the host's discovery allows), and,
 * unless it is a pushed authorization request (only `request_uri`), carry exactly the `state` and
 * `redirect_uri` the host reported, so the capture and the dedupe key are the real ones.
 */
export function parseBeginResult(data: unknown, now: number): BeginResult {
  if (!isObject(data)) invalid('the "begin" result must be an object');
  const state = str(data, 'state', LIMITS.maxStateLength);
  const authorizeUrl = str(data, 'authorizeUrl', LIMITS.maxUrlLength);
  const redirectUri = normalizeLoopbackRedirectUri(str(data, 'redirectUri', LIMITS.maxUrlLength));
  const issuer = str(data, 'issuer', LIMITS.maxUrlLength);
  const expiresAt = num(data, 'expiresAt');
  const appliedRules = data.appliedRules ?? [];
  if (!Array.isArray(appliedRules) || !appliedRules.every((r) => typeof r === 'string')) {
    invalid('"appliedRules" must be an array of strings');
  }

  const authorize = parseUrl(authorizeUrl, 'authorizeUrl');
  const loopback = authorize.protocol === 'http:' && isLoopbackHost(authorize.hostname);
  if (authorize.protocol !== 'https:' && !loopback) invalid('"authorizeUrl" must be https (http only on loopback)');
  if (!authorize.searchParams.has('request_uri')) {
    if (authorize.searchParams.get('state') !== state) invalid('the "state" in "authorizeUrl" differs from "state"');
    const sentRedirect = authorize.searchParams.get('redirect_uri');
    if (sentRedirect === null || !sameUrl(sentRedirect, redirectUri)) {
      invalid('the "redirect_uri" in "authorizeUrl" differs from "redirectUri"');
    }
  }
  if (expiresAt <= now) invalid('"expiresAt" is already in the past');

  return { state, authorizeUrl: authorize.href, redirectUri, issuer, appliedRules: appliedRules as string[], expiresAt };
}

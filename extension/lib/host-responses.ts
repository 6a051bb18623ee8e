/**
 * Validation of everything the native host sends back. The host is ours, but the extension acts on
 * its answers (opens a tab, redirects requests), so a wrong-shaped or surprising answer is refused
 * with an error that names the field, instead of being half-used.
 */
import { LIMITS } from '../../shared/protocol';
import type { BeginResult, CompleteResult, ErrorBody, HelloResult, Response, StoredTarget, Warning } from '../../shared/protocol';
import { ExtensionError } from './extension-errors';

/** Hosts the manifest grants access to; a capture rule for any other host would be skipped silently. */
const CAPTURABLE_LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Host-sent texts are shown to the user; keep them to a sane size. */
const MAX_TEXT = 2000;

function invalid(message: string): never {
  throw new ExtensionError(
    'InvalidHostResponse',
    `The native host sent an invalid answer: ${message}. Update the host and the extension to the same release.`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(obj: Record<string, unknown>, field: string, max = MAX_TEXT): string {
  const v = obj[field];
  if (typeof v !== 'string' || v.length === 0) invalid(`"${field}" must be a non-empty string`);
  if (v.length > max) invalid(`"${field}" is longer than ${max} characters`);
  return v;
}

function num(obj: Record<string, unknown>, field: string): number {
  const v = obj[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) invalid(`"${field}" must be a number`);
  return v;
}

function parseUrl(value: string, field: string): URL {
  try {
    return new URL(value);
  } catch {
    invalid(`"${field}" is not an absolute URL`);
  }
}

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/**
 * The envelope: `{ id, ok: true, data }` or `{ id, ok: false, error: { code, name, message } }`.
 * Returns null when there is not even an id to match it to a request.
 */
export function parseHostResponse(value: unknown): Response | null {
  if (!isObject(value) || typeof value.id !== 'string' || value.id.length > LIMITS.maxIdLength) return null;
  const id = value.id;
  if (value.ok === true) {
    if (!('data' in value)) invalid('a successful response has no "data"');
    return { id, ok: true, data: value.data };
  }
  if (value.ok === false) return { id, ok: false, error: parseErrorBody(value.error) };
  invalid('"ok" must be true or false');
}

/** A host error `{ code, name, message }` (in an error response, or a `flowSettled` push). */
export function parseErrorBody(e: unknown): ErrorBody {
  if (!isObject(e)) invalid('an error has no "error" object');
  return { code: num(e, 'code'), name: str(e, 'name', 100), message: str(e, 'message') };
}

export function parseHelloResult(data: unknown): HelloResult {
  if (!isObject(data)) invalid('the "hello" result must be an object');
  const configRules = data.configRules ?? [];
  if (!Array.isArray(configRules)) invalid('"configRules" must be an array');
  return {
    hostVersion: str(data, 'hostVersion', 64),
    protocolVersion: num(data, 'protocolVersion'),
    // Not used by the click-to-authorize flow; automatic capture validates them with parseRule.
    configRules: configRules as HelloResult['configRules'],
  };
}

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

function parseWarning(value: unknown): Warning | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) invalid('"warning" must be an object');
  return { code: num(value, 'code'), name: str(value, 'name', 100), message: str(value, 'message') };
}

function parseStored(value: unknown): StoredTarget[] {
  if (!Array.isArray(value)) invalid('"stored" must be an array');
  return value.map((s) => {
    if (!isObject(s)) invalid('every "stored" entry must be an object');
    // `target` is typed 'bridge' today; later hosts add codex/claude-code, which we show as given.
    return { target: str(s, 'target', 64) as StoredTarget['target'], location: str(s, 'location', 500) };
  });
}

/**
 * Checks a `complete` result. Only the listed fields are copied out, so whatever else a host might
 * add never reaches extension storage.
 */
export function parseCompleteResult(data: unknown): CompleteResult {
  if (!isObject(data)) invalid('the "complete" result must be an object');
  if (typeof data.refreshCapable !== 'boolean') invalid('"refreshCapable" must be true or false');
  const expiresAt = data.expiresAt === null || data.expiresAt === undefined ? null : num(data, 'expiresAt');
  const t = isObject(data.timings) ? data.timings : {};
  const ms = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const warning = parseWarning(data.warning);
  return {
    serverUrl: str(data, 'serverUrl', LIMITS.maxUrlLength),
    issuer: str(data, 'issuer', LIMITS.maxUrlLength),
    stored: parseStored(data.stored),
    refreshCapable: data.refreshCapable,
    expiresAt,
    scope: typeof data.scope === 'string' ? data.scope.slice(0, MAX_TEXT) : '',
    ...(warning ? { warning } : {}),
    timings: { totalMs: ms(t.totalMs), tokenEndpointMs: ms(t.tokenEndpointMs), storeMs: ms(t.storeMs) },
  };
}

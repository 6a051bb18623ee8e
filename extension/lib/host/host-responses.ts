/**
 * Validation of everything the native host sends back. The host is ours, but the extension acts on
 * its answers (opens a tab, redirects requests), so a wrong-shaped or surprising answer is refused
 * with an error that names the field, instead of being half-used.
 */
import { accountName } from '../../../shared/account';
import { FieldReader, isObject } from '../../../shared/field-reader';
import { CLIENT_NAMES, LIMITS } from '../../../shared/protocol';
import { isLoopbackHost } from '../../../shared/loopback';
import type {
  BeginResult,
  ClientLoginSummary,
  ClientNotice,
  CompleteResult,
  CredentialSummary,
  ErrorBody,
  HelloResult,
  LogoutResult,
  LogoutRevocation,
  Response,
  StatusResult,
  StoredTarget,
  Warning,
} from '../../../shared/protocol';
import { ExtensionError } from '../extension-errors';

/** Hosts the manifest grants access to; a capture rule for any other host would be skipped silently. */
const CAPTURABLE_LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** Host-sent texts are shown to the user; keep them to a sane size. */
const MAX_TEXT = 2000;

function invalid(message: string): never {
  throw new ExtensionError(
    'InvalidHostResponse',
    `The native host sent an invalid answer: ${message}. Update the host and the extension to the same release.`,
  );
}

/** The shared field readers (shared/field-reader.ts), failing as an invalid answer. */
function read(obj: Record<string, unknown>): FieldReader {
  return new FieldReader(obj, invalid);
}

function str(obj: Record<string, unknown>, field: string, max = MAX_TEXT): string {
  return read(obj).string(field, { max });
}

function num(obj: Record<string, unknown>, field: string): number {
  return read(obj).number(field);
}

function parseUrl(value: string, field: string): URL {
  try {
    return new URL(value);
  } catch {
    invalid(`"${field}" is not an absolute URL`);
  }
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

/** A client's name or a notice's kind: shown and compared, so one short lower-case word. */
function word(obj: Record<string, unknown>, field: string): string {
  const value = str(obj, field, 64);
  if (!/^[a-z][a-z0-9-]*$/.test(value)) invalid(`"${field}" must be a lower-case name`);
  return value;
}

function parseStored(value: unknown, field = 'stored'): StoredTarget[] {
  if (!Array.isArray(value)) invalid(`"${field}" must be an array`);
  return value.map((s) => {
    if (!isObject(s)) invalid(`every "${field}" entry must be an object`);
    const server = optionalStr(s, 'server', 500);
    // A target this extension does not know yet (a host with more clients) is shown as given.
    return { target: word(s, 'target') as StoredTarget['target'], location: str(s, 'location', 500), ...(server ? { server } : {}) };
  });
}

/** More notices than clients times servers: a longer list is a broken host. */
const MAX_NOTICES = 100;

/**
 * The host's notices about the clients. Display only: a `kind` or `target` this extension does not
 * know (a newer host) is kept as given; nothing here decides on the message text.
 */
function parseNotices(value: unknown, field: string): ClientNotice[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) invalid(`"${field}" must be an array`);
  if (value.length > MAX_NOTICES) invalid(`"${field}" has more than ${MAX_NOTICES} entries`);
  return value.map((n) => {
    if (!isObject(n)) invalid(`every "${field}" entry must be an object`);
    const server = optionalStr(n, 'server', 500);
    return {
      target: word(n, 'target') as ClientNotice['target'],
      kind: word(n, 'kind') as ClientNotice['kind'],
      ...(server ? { server } : {}),
      // Codex's advice carries the config lines to add, so it gets more room than a headline.
      message: str(n, 'message', 2 * MAX_TEXT),
    };
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
  const notices = parseNotices(data.notices, 'notices');
  const account = accountName(data.account);
  return {
    serverUrl: str(data, 'serverUrl', LIMITS.maxUrlLength),
    issuer: str(data, 'issuer', LIMITS.maxUrlLength),
    ...(account ? { account } : {}),
    stored: parseStored(data.stored),
    refreshCapable: data.refreshCapable,
    expiresAt,
    scope: typeof data.scope === 'string' ? data.scope.slice(0, MAX_TEXT) : '',
    ...(warning ? { warning } : {}),
    ...(notices?.length ? { notices } : {}),
    timings: { totalMs: ms(t.totalMs), tokenEndpointMs: ms(t.tokenEndpointMs), storeMs: ms(t.storeMs) },
  };
}

/** More logins than anyone configures: a longer list is a broken host, not something to render. */
const MAX_STATUS_ENTRIES = 500;
const KNOWN_CLIENTS = new Set<string>(CLIENT_NAMES);

function bool(obj: Record<string, unknown>, field: string): boolean {
  return read(obj).boolean(field);
}

function expiry(obj: Record<string, unknown>): number | null {
  return obj.expiresAt === null ? null : num(obj, 'expiresAt');
}

/** An optional text: absent (or null) is fine, anything present must be a non-empty string. */
function optionalStr(obj: Record<string, unknown>, field: string, max = MAX_TEXT): string | undefined {
  return read(obj).optionalString(field, { max });
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) invalid(`"${field}" must be an array`);
  if (value.length > MAX_STATUS_ENTRIES) invalid(`"${field}" has more than ${MAX_STATUS_ENTRIES} entries`);
  return value;
}

function parseCredentialSummary(value: unknown): CredentialSummary {
  if (!isObject(value)) invalid('every "credentials" entry must be an object');
  // The scope may legitimately be empty (the server granted none it would name).
  if (typeof value.scope !== 'string' || value.scope.length > MAX_TEXT) invalid('"scope" must be a string');
  if (value.store !== 'bridge') invalid('"store" of a credential must be "bridge"');
  const reason = optionalStr(value, 'reason');
  // A name for display only: one that is too long or holds control characters is left out (the
  // login still shows), never passed on (shared/account.ts).
  const account = accountName(value.account);
  return {
    serverUrl: str(value, 'serverUrl', LIMITS.maxUrlLength),
    issuer: str(value, 'issuer', LIMITS.maxUrlLength),
    ...(account ? { account } : {}),
    clientId: str(value, 'clientId', 500),
    scope: value.scope,
    expiresAt: expiry(value),
    refreshCapable: bool(value, 'refreshCapable'),
    ...(reason ? { reason } : {}),
    ...(value.loginNeeded === true ? { loginNeeded: true as const } : {}),
    store: 'bridge',
  };
}

function parseClientLogin(value: unknown): ClientLoginSummary | null {
  if (!isObject(value)) invalid('every "clients" entry must be an object');
  const client = str(value, 'client', 64);
  const parsed = {
    server: str(value, 'server', 500),
    serverUrl: str(value, 'serverUrl', LIMITS.maxUrlLength),
    loggedIn: bool(value, 'loggedIn'),
    refreshCapable: bool(value, 'refreshCapable'),
    expiresAt: expiry(value),
  };
  const issuer = optionalStr(value, 'issuer', LIMITS.maxUrlLength);
  const label = optionalStr(value, 'label', 100);
  const store = optionalStr(value, 'store', 64);
  // Codex's reason can carry the config lines to add, so it gets more room than a headline.
  const reason = optionalStr(value, 'reason', 2 * MAX_TEXT);
  // A later host may report clients this extension does not know yet: skipped, not fatal, so
  // the logins it does know still show.
  if (!KNOWN_CLIENTS.has(client)) return null;
  return {
    client: client as ClientLoginSummary['client'],
    ...(label ? { label } : {}),
    ...parsed,
    ...(issuer ? { issuer } : {}),
    ...(store ? { store } : {}),
    ...(reason ? { reason } : {}),
  };
}

/**
 * Checks a `status` result. It is only displayed, never acted on, but it is displayed: every
 * field is checked and only the listed ones are copied out, so nothing else a host might add
 * (let alone a token) reaches the popup.
 */
export function parseStatusResult(data: unknown): StatusResult {
  if (!isObject(data)) invalid('the "status" result must be an object');
  const credentials = list(data.credentials, 'credentials').map(parseCredentialSummary);
  const pendingFlows = num(data, 'pendingFlows');
  if (!Number.isInteger(pendingFlows) || pendingFlows < 0) invalid('"pendingFlows" must be a whole number');
  // `clients` is left out when the host could not read the clients' stores.
  const clients =
    data.clients === undefined || data.clients === null
      ? undefined
      : list(data.clients, 'clients')
          .map(parseClientLogin)
          .filter((c): c is ClientLoginSummary => c !== null);
  const damaged =
    data.damaged === undefined || data.damaged === null
      ? undefined
      : list(data.damaged, 'damaged').map((d) => {
          if (!isObject(d)) invalid('every "damaged" entry must be an object');
          return { serverUrl: str(d, 'serverUrl', LIMITS.maxUrlLength), error: str(d, 'error', 2 * MAX_TEXT) };
        });
  const clientProblems = parseNotices(data.clientProblems, 'clientProblems');
  return {
    credentials,
    ...(damaged?.length ? { damaged } : {}),
    ...(clients ? { clients } : {}),
    ...(clientProblems?.length ? { clientProblems } : {}),
    pendingFlows,
  };
}

const TOKEN_KINDS = new Set(['refresh_token', 'access_token']);

function tokenKinds(obj: Record<string, unknown>, field: string): Array<'refresh_token' | 'access_token'> {
  const value = obj[field];
  if (!Array.isArray(value) || value.length > 2 || !value.every((t) => typeof t === 'string' && TOKEN_KINDS.has(t))) {
    invalid(`"${field}" must list refresh_token and/or access_token`);
  }
  return [...(value as Array<'refresh_token' | 'access_token'>)];
}

function parseRevocation(value: unknown): LogoutRevocation | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) invalid('"revocation" must be an object');
  switch (value.status) {
    case 'revoked':
      return { status: 'revoked', tokens: tokenKinds(value, 'tokens'), notRevocable: tokenKinds(value, 'notRevocable') };
    case 'notRevocable':
      return { status: 'notRevocable', notRevocable: tokenKinds(value, 'notRevocable') };
    case 'unsupported':
      return { status: 'unsupported' };
    case 'skipped':
    case 'failed':
      return { status: value.status, reason: str(value, 'reason') };
    default:
      invalid('"revocation.status" must be revoked, notRevocable, unsupported, skipped or failed');
  }
}

/** Checks a `logout` result: shown to the user, so only the listed fields are copied out. */
export function parseLogoutResult(data: unknown): LogoutResult {
  if (!isObject(data)) invalid('the "logout" result must be an object');
  const revocation = parseRevocation(data.revocation);
  return {
    serverUrl: str(data, 'serverUrl', LIMITS.maxUrlLength),
    removed: parseStored(data.removed, 'removed'),
    ...(revocation ? { revocation } : {}),
  };
}

/**
 * What each identity provider needs before it issues a refresh token, as data. The host applies
 * these to the authorize URLs it builds; the extension (automatic capture) applies the same table
 * to other tools' logins. ../shared/PROVIDERS.md is the source; keep the two in step.
 */
import { isLoopbackHost } from './loopback';

export interface ProviderRule {
  /** Stable id, shown to the user and used to switch a rule off. */
  id: string;
  /** Human name of the provider. */
  name: string;
  /**
   * Origins the rule applies to: issuer identifiers or authorize endpoint origins. A leading
   * `*.` in the host matches any subdomain (`https://*.okta.com`).
   */
  origins: string[];
  /** Authorize query parameters to add. `prompt` values are merged with existing ones. */
  params: Record<string, string>;
  /** Scopes to add to the `scope` parameter. */
  addScopes?: string[];
  /** Where the rule comes from. */
  source: 'builtin' | 'config' | 'user';
}

export const BUILTIN_RULES: readonly ProviderRule[] = [
  {
    id: 'google',
    name: 'Google',
    origins: ['https://accounts.google.com'],
    // Google issues a refresh token only with access_type=offline, and only when consent is shown.
    params: { access_type: 'offline', prompt: 'consent' },
    source: 'builtin',
  },
  {
    id: 'microsoft',
    name: 'Microsoft Entra ID',
    origins: ['https://login.microsoftonline.com'],
    // Entra re-prompts badly with prompt=consent; the scope alone is enough.
    params: {},
    addScopes: ['offline_access'],
    source: 'builtin',
  },
  {
    id: 'okta',
    name: 'Okta',
    origins: ['https://*.okta.com', 'https://*.oktapreview.com'],
    params: {},
    addScopes: ['offline_access'],
    source: 'builtin',
  },
  {
    id: 'auth0',
    name: 'Auth0',
    origins: ['https://*.auth0.com'],
    params: {},
    addScopes: ['offline_access'],
    source: 'builtin',
  },
  {
    id: 'atlassian',
    name: 'Atlassian',
    origins: ['https://auth.atlassian.com'],
    params: { prompt: 'consent' },
    addScopes: ['offline_access'],
    source: 'builtin',
  },
];

const FORBIDDEN_RULE_PARAMS = new Set([
  'client_id',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
  'response_type',
  'response_mode',
  'resource',
  'request_uri',
  'request',
]);

/** Parameters whose value is a space-separated set that providers let us combine. */
const SET_VALUED_PARAMS = new Set(['prompt', 'scope']);

/**
 * A token of a set-valued parameter (a `prompt` value, a scope). Automatic capture puts these into
 * declarativeNetRequest regexes and a `regexSubstitution` as they are, so they must look the same
 * raw and encoded, and be unable to add a parameter (`&`, `=`, `#`), a percent escape or a group
 * reference (`\1`). That is RFC 3986's unreserved set minus `~`, which URLSearchParams (the host,
 * the chain's re-navigation) writes as `%7E`, so a regex for the raw `~` would miss it on the wire.
 */
const SET_TOKEN = /^[A-Za-z0-9._-]+$/;
const SET_TOKEN_TEXT = 'letters, digits, ".", "_" or "-"';

/** Control characters or a backslash: refused in any rule value, even ones that get encoded. */
const UNSAFE_VALUE_CHARS = /[\x00-\x1F\x7F\\]/;

function originMatches(pattern: string, origin: string): boolean {
  let p: URL;
  let o: URL;
  try {
    p = new URL(pattern);
    o = new URL(origin);
  } catch {
    return false;
  }
  if (p.protocol !== o.protocol || p.port !== o.port) return false;
  if (p.hostname.startsWith('*.')) {
    const suffix = p.hostname.slice(1); // ".okta.com"
    return o.hostname.endsWith(suffix) && o.hostname.length > suffix.length;
  }
  return p.hostname === o.hostname;
}

/**
 * The first enabled rule matching any of the given URLs (issuer, authorize endpoint), by origin.
 * Rules earlier in the list win, so callers put user and config rules before the built-in ones.
 */
export function findRule(
  rules: readonly ProviderRule[],
  urls: readonly string[],
  disabled: ReadonlySet<string> = new Set(),
): ProviderRule | undefined {
  const origins = urls.flatMap((u) => {
    try {
      return [new URL(u).origin];
    } catch {
      return [];
    }
  });
  return rules.find((r) => !disabled.has(r.id) && r.origins.some((p) => origins.some((o) => originMatches(p, o))));
}

function mergeSet(existing: string | null, added: string): string {
  const values = (existing ?? '').split(' ').filter(Boolean);
  for (const v of added.split(' ').filter(Boolean)) if (!values.includes(v)) values.push(v);
  return values.join(' ');
}

/**
 * Adds a rule's parameters to an authorize URL in place: set-valued ones (`prompt`, `scope`) are
 * merged so `prompt=select_account` becomes `prompt=select_account consent`; others are replaced.
 * Returns the names of the parameters it changed.
 */
export function applyRule(url: URL, rule: Pick<ProviderRule, 'params' | 'addScopes'>): string[] {
  const changed: string[] = [];
  const set = (name: string, value: string) => {
    const before = url.searchParams.get(name);
    const after = SET_VALUED_PARAMS.has(name) ? mergeSet(before, value) : value;
    if (after !== before) {
      url.searchParams.set(name, after);
      changed.push(name);
    }
  };
  for (const [name, value] of Object.entries(rule.params)) set(name, value);
  if (rule.addScopes?.length) set('scope', rule.addScopes.join(' '));
  return changed;
}

/** The rule a user would add for an issuer that behaves like Google, to put in an error message. */
export function suggestedGoogleLikeRule(issuer: string): Omit<ProviderRule, 'source'> {
  return {
    id: 'my-provider',
    name: 'My provider',
    origins: [new URL(issuer).origin],
    params: { access_type: 'offline', prompt: 'consent' },
  };
}

/** Second-level labels under which country TLDs register names (`co.uk`, `com.au`, `ne.jp`). */
const COUNTRY_SECOND_LEVELS = new Set(['ac', 'co', 'com', 'edu', 'go', 'gov', 'ne', 'net', 'or', 'org']);

/**
 * Whether a wildcard's domain (what follows `*.`) is, or looks like, a public suffix: one label
 * (`com`), or a common country second level (`co.uk`). `https://*.com` would ask the user for
 * access to a whole TLD and apply the rule to every site in it. Not the full public suffix list:
 * this refuses the obvious mistakes; a user still sees the browser's prompt for what remains.
 */
function isPublicSuffixLike(domain: string): boolean {
  const labels = domain.split('.');
  if (labels.length < 2 || labels.some((l) => l === '')) return true;
  return labels.length === 2 && labels[1]!.length === 2 && COUNTRY_SECOND_LEVELS.has(labels[0]!);
}

/** Validates a rule read from a file or the options page; throws an Error naming the field. */
export function parseRule(value: unknown, source: ProviderRule['source']): ProviderRule {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('a rule must be an object');
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(v.id)) {
    throw new Error('rule "id" must be 1-64 characters of a-z, 0-9, "-" or "_"');
  }
  const name = typeof v.name === 'string' && v.name.length > 0 && v.name.length <= 100 ? v.name : v.id;
  if (!Array.isArray(v.origins) || v.origins.length === 0) throw new Error(`rule "${v.id}": "origins" must be a non-empty array`);
  const origins = v.origins.map((o) => {
    if (typeof o !== 'string') throw new Error(`rule "${v.id}": every origin must be a string`);
    let u: URL;
    try {
      u = new URL(o.replace('://*.', '://wildcard.'));
    } catch {
      throw new Error(`rule "${v.id}": origin ${JSON.stringify(o)} is not a URL`);
    }
    const loopback = isLoopbackHost(u.hostname);
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
      throw new Error(`rule "${v.id}": origin ${JSON.stringify(o)} must be https (http only for loopback)`);
    }
    if (u.pathname !== '/' || u.search || u.hash) throw new Error(`rule "${v.id}": origin ${JSON.stringify(o)} must have no path`);
    if (o.includes('://*.') && isPublicSuffixLike(u.hostname.slice('wildcard.'.length))) {
      throw new Error(`rule "${v.id}": origin ${JSON.stringify(o)} is too broad: "*." must be followed by a domain of at least two labels that is not a public suffix, e.g. https://*.example.com`);
    }
    return o.replace(/\/$/, '');
  });
  const params: Record<string, string> = {};
  if (v.params !== undefined) {
    if (typeof v.params !== 'object' || v.params === null || Array.isArray(v.params)) {
      throw new Error(`rule "${v.id}": "params" must be an object of strings`);
    }
    for (const [k, p] of Object.entries(v.params)) {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(k) || typeof p !== 'string' || p.length > 256) {
        throw new Error(`rule "${v.id}": param ${JSON.stringify(k)} must be a short name with a string value`);
      }
      // These carry the flow's identity and secrets, or decide where the code goes; a rule must
      // never change them (a `resource` or `response_mode` change silently breaks the flow).
      if (FORBIDDEN_RULE_PARAMS.has(k)) {
        throw new Error(`rule "${v.id}": param "${k}" cannot be set by a rule`);
      }
      if (SET_VALUED_PARAMS.has(k)) {
        // Space-separated tokens, each safe to put into a regex and a substitution unencoded.
        const bad = p.split(' ').find((t) => t !== '' && !SET_TOKEN.test(t));
        if (bad !== undefined) {
          throw new Error(`rule "${v.id}": param "${k}" value ${JSON.stringify(bad)} is not allowed: each space-separated token must be ${SET_TOKEN_TEXT}`);
        }
      } else if (UNSAFE_VALUE_CHARS.test(p)) {
        // Other values are encoded on the way (URLSearchParams, DNR queryTransform); these never belong in one.
        throw new Error(`rule "${v.id}": param "${k}" must not contain control characters or "\\"`);
      }
      params[k] = p;
    }
  }
  let addScopes: string[] | undefined;
  if (v.addScopes !== undefined) {
    if (!Array.isArray(v.addScopes) || !v.addScopes.every((s) => typeof s === 'string')) {
      throw new Error(`rule "${v.id}": "addScopes" must be an array of scope tokens`);
    }
    // Tighter than RFC 6749's scope-token: these go unencoded into DNR regexes (see SET_TOKEN).
    const bad = (v.addScopes as string[]).find((s) => !SET_TOKEN.test(s));
    if (bad !== undefined) {
      throw new Error(`rule "${v.id}": "addScopes" entry ${JSON.stringify(bad)} is not allowed: a scope token must be ${SET_TOKEN_TEXT}`);
    }
    addScopes = v.addScopes as string[];
  }
  if (Object.keys(params).length === 0 && !addScopes?.length) throw new Error(`rule "${v.id}": needs "params" or "addScopes"`);
  return { id: v.id, name, origins, params, ...(addScopes ? { addScopes } : {}), source };
}

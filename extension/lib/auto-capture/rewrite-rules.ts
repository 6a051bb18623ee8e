/**
 * declarativeNetRequest rules that add a provider rule's parameters to authorize requests before
 * they leave the browser (DESIGN.md 3.2). Pure: builds rule objects, arms nothing.
 *
 * What Chromium's engine allows shaped this (measured, see test/extension/auto-capture-in-chromium):
 * - A `regexFilter` may compile to at most about 2 KB (RE2): one origin plus one parameter check
 *   fits, two parameter checks in either order do not.
 * - When the highest-priority matching redirect would not change the URL, the engine falls through
 *   to the next matching rule. A non-idempotent rule below it then loops (ERR_TOO_MANY_REDIRECTS).
 *
 * So for one provider rule, in one priority band (higher number first):
 *   +4 "merged":  `p` already holds token `t` → add the plain params (idempotent);
 *   +3 "merged":  same condition → allow: ends the fall-through, nothing below runs;
 *   +2 "append":  `p` has another non-empty value → regexSubstitution appends `%20t`
 *                 (`prompt=select_account` → `prompt=select_account%20consent`), then +4/+3;
 *   +1 "base":    otherwise (`p` absent or empty) in an authorization request (it has
 *                 `response_type`) → add the plain params and `p=t`, then +4/+3.
 * Only "base" adds to a request that did not ask for `p` at all, so the provider's own pages
 * (consent screens, account choosers: no `response_type`) are left alone.
 * `p`/`t` is the rule's one merged set-valued token (`prompt=consent`, else `scope=offline_access`).
 * Further set-valued additions (a second token, `scope` next to `prompt`) are not done here: a
 * request that still lacks them is re-navigated once with the exact merge (login-chains.ts).
 */
import type { ProviderRule } from '../../../shared/providers';
import { escapeRegex } from '../authorize/callback-capture';

/** The subset of a `declarativeNetRequest.Rule` this module builds. */
export interface RewriteRule {
  id: number;
  priority: number;
  action:
    | { type: 'allow' }
    | { type: 'redirect'; redirect: { regexSubstitution: string } }
    | { type: 'redirect'; redirect: { transform: { queryTransform: { addOrReplaceParams: Array<{ key: string; value: string }> } } } };
  condition: { regexFilter: string; resourceTypes: ['main_frame']; tabIds?: number[] };
}

/** Set-valued parameters whose values providers let us combine (shared/providers.ts merges them too). */
const SET_VALUED = ['prompt', 'scope'] as const;

/** Rules per provider rule; ids of one provider are `base .. base + RULES_PER_PROVIDER - 1`. */
export const RULES_PER_PROVIDER = 4;

/** `^https://accounts\.google\.com/`, `^https://[a-z0-9.-]+\.okta\.com/`, with the port if any. */
export function originRegex(origin: string): string {
  const wildcard = origin.includes('://*.');
  const u = new URL(origin.replace('://*.', '://wildcard.'));
  const host = wildcard ? `[a-z0-9.-]+${escapeRegex(u.hostname.slice('wildcard'.length))}` : escapeRegex(u.hostname);
  return `^${escapeRegex(u.protocol)}//${host}${u.port ? `:${u.port}` : ''}/`;
}

/** The host permission pattern an origin needs (`https://*.okta.com/*`; ports are not part of it). */
export function hostPermissionFor(origin: string): string {
  const u = new URL(origin.replace('://*.', '://wildcard.'));
  const host = origin.includes('://*.') ? `*${u.hostname.slice('wildcard'.length)}` : u.hostname;
  return `${u.protocol}//${host}/*`;
}

/** What a rule adds, split into what DNR can do exactly and what it cannot. */
export interface RulePlan {
  /** Replaced as given (`access_type=offline`). */
  plain: Array<{ key: string; value: string }>;
  /** The one set-valued token merged into an existing value, if any. */
  merge?: { param: (typeof SET_VALUED)[number]; token: string };
  /** Whether some addition is left to the re-navigation (a second token, another set param). */
  incomplete: boolean;
}

export function planRule(rule: Pick<ProviderRule, 'params' | 'addScopes'>): RulePlan {
  const tokens: Record<(typeof SET_VALUED)[number], string[]> = { prompt: [], scope: [] };
  const plain: RulePlan['plain'] = [];
  for (const [key, value] of Object.entries(rule.params)) {
    if ((SET_VALUED as readonly string[]).includes(key)) tokens[key as 'prompt' | 'scope'].push(...value.split(' ').filter(Boolean));
    else plain.push({ key, value });
  }
  tokens.scope.push(...(rule.addScopes ?? []));
  const param = SET_VALUED.find((p) => tokens[p].length > 0);
  if (!param) return { plain, incomplete: false };
  const total = tokens.prompt.length + tokens.scope.length;
  return { plain, merge: { param, token: tokens[param][0]! }, incomplete: total > 1 };
}

/** A query parameter `p` whose value holds token `t` (separated by `+` or `%20`). */
function hasTokenRegex(originRe: string, param: string, token: string): string {
  return `${originRe}[^?#]*\\?(?:[^#]*&)?${escapeRegex(param)}=(?:[^&#]*(?:\\+|%20))?${escapeRegex(token)}(?:[+&#]|%20|$)`;
}

export interface BuildOptions {
  /** First rule id for this provider rule. */
  idBase: number;
  /** Priority band: rules get band+1 .. band+4. */
  band: number;
  /** Limit to one tab (a chain's). */
  tabId?: number;
}

/**
 * The chain rules for one provider rule in one tab: every matching request of that tab gets the
 * rule's parameters, whatever its redirect_uri (a proxy's own https callback included).
 */
export function buildChainRules(rule: Pick<ProviderRule, 'origins' | 'params' | 'addScopes'>, options: BuildOptions & { origin: string }): RewriteRule[] {
  const plan = planRule(rule);
  const o = originRegex(options.origin);
  const cond = (regexFilter: string): RewriteRule['condition'] => ({
    regexFilter,
    resourceTypes: ['main_frame'],
    ...(options.tabId === undefined ? {} : { tabIds: [options.tabId] }),
  });
  const transform = (params: RulePlan['plain']): RewriteRule['action'] => ({
    type: 'redirect',
    redirect: { transform: { queryTransform: { addOrReplaceParams: params } } },
  });
  const rules: RewriteRule[] = [];
  const { idBase: id, band } = options;
  const authorizeRequest = `${o}[^?#]*\\?(?:[^#]*&)?response_type=`;
  if (!plan.merge) {
    if (plan.plain.length) rules.push({ id, priority: band + 1, action: transform(plan.plain), condition: cond(authorizeRequest) });
    return rules;
  }
  const { param, token } = plan.merge;
  const merged = hasTokenRegex(o, param, token);
  if (plan.plain.length) rules.push({ id: id + 3, priority: band + 4, action: transform(plan.plain), condition: cond(merged) });
  rules.push({ id: id + 2, priority: band + 3, action: { type: 'allow' }, condition: cond(merged) });
  rules.push({
    id: id + 1,
    priority: band + 2,
    action: { type: 'redirect', redirect: { regexSubstitution: `\\1%20${token}\\2` } },
    condition: cond(`(${o}[^?#]*\\?(?:[^#]*&)?${escapeRegex(param)}=[^&#]+)(.*)$`),
  });
  rules.push({ id, priority: band + 1, action: transform([...plan.plain, { key: param, value: token }]), condition: cond(authorizeRequest) });
  return rules;
}

/** A loopback `redirect_uri` in the query: the request itself says it is a native app's login. */
const LOOPBACK_REDIRECT = 'redirect_uri=http%3A%2F%2F(?:127\\.0\\.0\\.1|localhost|%5B%3A%3A1%5D)[%&]';

/**
 * The standing rule for one provider origin, not tied to a tab: a request that itself carries a
 * loopback `redirect_uri` gets the plain params and, for `prompt`, the token (replacing: one regex
 * cannot also test the existing prompt). It closes the race at a chain's first request, when the
 * tool opens the provider directly and the tab's rules may not be armed yet; when they are, their
 * higher band decides first and merges. Never set for `scope` (a replace would drop the scopes).
 */
export function buildDirectRule(rule: Pick<ProviderRule, 'params' | 'addScopes'>, options: { id: number; priority: number; origin: string }): RewriteRule | null {
  const plan = planRule(rule);
  const params = [...plan.plain, ...(plan.merge?.param === 'prompt' ? [{ key: 'prompt', value: plan.merge.token }] : [])];
  if (!params.length) return null;
  return {
    id: options.id,
    priority: options.priority,
    action: { type: 'redirect', redirect: { transform: { queryTransform: { addOrReplaceParams: params } } } },
    condition: { regexFilter: `${originRegex(options.origin)}[^?#]*\\?(?:[^#]*&)?${LOOPBACK_REDIRECT}`, resourceTypes: ['main_frame'] },
  };
}

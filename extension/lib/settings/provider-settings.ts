/**
 * Which provider rules automatic capture applies: the user's own rules (options page), the rules
 * from the host's config file (sent in `hello` whenever the host is connected), then the built-in
 * table of shared/providers.ts; minus the ones the user switched off. Everything read from storage
 * or the host is validated again with `parseRule`, so a stored or sent rule of the wrong shape is
 * dropped, never half-applied. Nothing here is a secret.
 */
import { BUILTIN_RULES, parseRule, type ProviderRule } from '../../../shared/providers';

/** storage.local: `{ disabled: string[], userRules: ProviderRule[] }`. */
export const SETTINGS_KEY = 'providerSettings';
/** storage.local: the config rules last received from the host (so they apply without it). */
export const CONFIG_RULES_KEY = 'configRules';

export interface ProviderSettings {
  disabled: string[];
  userRules: ProviderRule[];
}

/** Most rules one source may contribute (DNR ids and priorities are allotted per rule). */
export const MAX_RULES_PER_SOURCE = 20;

export function parseRules(value: unknown, source: ProviderRule['source']): ProviderRule[] {
  if (!Array.isArray(value)) return [];
  const rules: ProviderRule[] = [];
  for (const v of value.slice(0, MAX_RULES_PER_SOURCE)) {
    try {
      const rule = parseRule(v, source);
      if (!rules.some((r) => r.id === rule.id)) rules.push(rule);
    } catch {
      // Dropped: a rule that does not validate is never applied.
    }
  }
  return rules;
}

export function parseSettings(value: unknown): ProviderSettings {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const disabled = Array.isArray(v.disabled) ? v.disabled.filter((d): d is string => typeof d === 'string' && d.length <= 64).slice(0, 100) : [];
  return { disabled, userRules: parseRules(v.userRules, 'user') };
}

/** The rules in the order they win (user, config, built-in), each id once, switched-off ones dropped. */
export function effectiveRules(settings: ProviderSettings, configRules: readonly ProviderRule[]): ProviderRule[] {
  const seen = new Set<string>();
  const out: ProviderRule[] = [];
  for (const rule of [...settings.userRules, ...configRules, ...BUILTIN_RULES]) {
    if (seen.has(rule.id)) continue;
    seen.add(rule.id);
    if (!settings.disabled.includes(rule.id)) out.push(rule);
  }
  return out;
}

/** Every rule with where it comes from and whether it is on: what the options page lists. */
export function listRules(settings: ProviderSettings, configRules: readonly ProviderRule[]): Array<ProviderRule & { enabled: boolean }> {
  const seen = new Set<string>();
  const out: Array<ProviderRule & { enabled: boolean }> = [];
  for (const rule of [...settings.userRules, ...configRules, ...BUILTIN_RULES]) {
    if (seen.has(rule.id)) continue;
    seen.add(rule.id);
    out.push({ ...rule, enabled: !settings.disabled.includes(rule.id) });
  }
  return out;
}

export type RuleField = 'id' | 'origin' | 'params' | 'addScopes';

/** A form error and the field it is about, so the page can mark that field and focus it. */
export class RuleFieldError extends Error {
  constructor(
    readonly field: RuleField | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** A rule that passes every check: each field is tried in its place to find which one fails. */
const PROBE = { id: 'probe', origins: ['https://idp.example.com'], params: { access_type: 'offline' } };

function parseFormParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of text.split(/[\n&]/).map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new RuleFieldError('params', `parameter ${JSON.stringify(part)} must be written name=value`);
    params[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return params;
}

/**
 * Parses the options page's form fields into a rule. Throws a RuleFieldError naming the field at
 * fault: each field is validated by shared/providers.ts `parseRule` in an otherwise valid rule, so
 * there is one set of checks and the page still knows where to point.
 * `params` is `name=value` per line or separated by `&`; `addScopes` is space-separated.
 */
export function ruleFromForm(fields: { id: string; name: string; origin: string; params: string; addScopes: string }): ProviderRule {
  const params = parseFormParams(fields.params);
  const scopes = fields.addScopes.split(/\s+/).filter(Boolean);
  const candidate = {
    id: fields.id.trim(),
    name: fields.name.trim() || undefined,
    origins: [fields.origin.trim()],
    params,
    ...(scopes.length ? { addScopes: scopes } : {}),
  };
  const tryField = (field: RuleField, part: Record<string, unknown>) => {
    try {
      parseRule({ ...PROBE, ...part }, 'user');
    } catch (error) {
      throw new RuleFieldError(field, (error as Error).message);
    }
  };
  tryField('id', { id: candidate.id });
  tryField('origin', { origins: candidate.origins });
  if (Object.keys(params).length) tryField('params', { params });
  if (scopes.length) tryField('addScopes', { addScopes: scopes });
  try {
    return parseRule(candidate, 'user');
  } catch (error) {
    throw new RuleFieldError(Object.keys(params).length || scopes.length ? undefined : 'params', (error as Error).message);
  }
}

/**
 * What a provider rule can put into the DNR rules built from it. The merged token goes into a
 * `regexSubstitution` and the regexes unencoded, so it must reach buildChainRules only through
 * parseRule, which lets no token through that could add a parameter or a group reference. (The
 * rules' behaviour against requests is tested in login-chains.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { parseRule } from '../../../shared/providers';
import { buildChainRules, type RewriteRule } from '../../../extension/lib/auto-capture/rewrite-rules';

const ORIGIN = 'https://idp.example';

/** The rules for a rule as a user or the host config would give it, or null when parseRule refuses it. */
function rulesFor(fields: object): RewriteRule[] | null {
  let rule;
  try {
    rule = parseRule({ id: 'x', origins: [ORIGIN], ...fields }, 'user');
  } catch {
    return null;
  }
  return buildChainRules(rule, { origin: ORIGIN, idBase: 100, band: 1000, tabId: 7 });
}

function substitutions(rules: RewriteRule[]): string[] {
  return rules.flatMap((r) => (r.action.type === 'redirect' && 'regexSubstitution' in r.action.redirect ? [r.action.redirect.regexSubstitution] : []));
}

describe('buildChainRules fed through parseRule', () => {
  it.each([
    { addScopes: ['offline_access&response_mode=fragment'] },
    { addScopes: ['offline_access#'] },
    { addScopes: ['x%26redirect_uri%3Dhttps%3A%2F%2Fevil.example'] },
    { addScopes: ['\\1'] },
    { params: { prompt: 'consent&redirect_uri=https://evil.example/cb' } },
    { params: { prompt: 'consent\\2' } },
    { params: { scope: 'openid=x' } },
  ])('never gets a token that could inject into the request: %j', (fields) => {
    const rules = rulesFor(fields);
    // Refused by parseRule; were it not, the token would be in the substitution as it is.
    expect(rules).toBeNull();
  });

  it('puts an allowed token into the substitution as nothing but itself', () => {
    for (const [fields, token] of [
      [{ params: { prompt: 'consent' } }, 'consent'],
      [{ params: { prompt: 'select_account' } }, 'select_account'],
      [{ addScopes: ['offline_access'] }, 'offline_access'],
    ] as const) {
      const subs = substitutions(rulesFor(fields)!);
      expect(subs).toEqual([`\\1%20${token}\\2`]);
      // Applied as the engine does: the query gains the token in the same parameter, no new parameter.
      const rule = rulesFor(fields)!.find((r) => substitutions([r]).length)!;
      const url = `${ORIGIN}/authorize?response_type=code&prompt=login&scope=openid&client_id=c`;
      const m = new RegExp(rule.condition.regexFilter, 'i').exec(url)!;
      const out = new URL(subs[0]!.replace(/\\(\d)/g, (_, i: string) => m[Number(i)] ?? ''));
      expect([...out.searchParams.keys()]).toEqual(['response_type', 'prompt', 'scope', 'client_id']);
    }
  });
});

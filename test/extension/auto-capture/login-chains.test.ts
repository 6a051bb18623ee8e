/**
 * Automatic capture's logic without a browser: recognizing native-app authorize requests, the DNR
 * rules it builds (their regexes run here as JS RegExps, the dialect Firefox uses and a subset
 * Chromium's RE2 shares), settings validation, and the chain tracker driven with fake events.
 * The same rules run in real Chromium in test/e2e/auto-capture.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES, type ProviderRule } from '../../../shared/providers';
import type { ChainRecord } from '../../../extension/lib/auto-capture/activity-log';
import { describeChain } from '../../../extension/lib/auto-capture/activity-log';
import { isOurRuleId } from '../../../extension/lib/auto-capture/chain-rules';
import { LoginChains, type RewriteRulesApi } from '../../../extension/lib/auto-capture/login-chains';
import { missingParams } from '../../../extension/lib/auto-capture/provider-hop';
import { isCallbackFor, parseToolAuthorizeRequest } from '../../../extension/lib/auto-capture/tool-authorize-request';
import { effectiveRules, parseSettings, ruleFromForm } from '../../../extension/lib/settings/provider-settings';
import { buildChainRules, buildDirectRule, hostPermissionFor, originRegex, planRule, type RewriteRule } from '../../../extension/lib/auto-capture/rewrite-rules';

const google = BUILTIN_RULES.find((r) => r.id === 'google')!;
const microsoft = BUILTIN_RULES.find((r) => r.id === 'microsoft')!;
const LOOPBACK = 'http%3A%2F%2F127.0.0.1%3A4711%2Fcallback';

/**
 * Applies rules the way the DNR engine does: the highest-priority match acts; a redirect that
 * would not change the URL falls through to the next match (measured in Chromium); `allow` stops.
 * Returns the final URL and how many redirects it took, or throws on a loop.
 */
function runRules(rules: RewriteRule[], url: string, tabId?: number): { url: string; redirects: number } {
  let current = url;
  for (let redirects = 0; redirects < 20; redirects++) {
    const matching = rules
      .filter((r) => r.condition && new RegExp(r.condition.regexFilter, 'i').test(current) && (!r.condition.tabIds || r.condition.tabIds.includes(tabId ?? -1)))
      .sort((a, b) => b.priority - a.priority);
    let next: string | null = null;
    for (const rule of matching) {
      if (rule.action.type === 'allow') break;
      const redirect = rule.action.redirect;
      let candidate: string;
      if ('regexSubstitution' in redirect) {
        const m = new RegExp(rule.condition.regexFilter, 'i').exec(current)!;
        candidate = redirect.regexSubstitution.replace(/\\(\d)/g, (_, i: string) => m[Number(i)] ?? '');
      } else {
        const u = new URL(current);
        for (const { key, value } of redirect.transform.queryTransform.addOrReplaceParams) u.searchParams.set(key, value);
        candidate = u.href;
      }
      if (candidate !== current) {
        next = candidate;
        break;
      }
    }
    if (next === null) return { url: current, redirects };
    current = next;
  }
  throw new Error(`redirect loop at ${current}`);
}

const chainRules = (rule: ProviderRule, tabId = 7) =>
  rule.origins.flatMap((origin, i) => buildChainRules(rule, { origin, idBase: 100 + i * 4, band: 1000, tabId }));

describe('parseToolAuthorizeRequest', () => {
  it('recognizes a native app authorize request with a loopback redirect (any port, 127.0.0.1, localhost, [::1])', () => {
    for (const host of ['127.0.0.1:4711', 'localhost:1', '[::1]:8080']) {
      const r = parseToolAuthorizeRequest(`https://as.example/authorize?response_type=code&client_id=c1&redirect_uri=${encodeURIComponent(`http://${host}/callback/x?y=1`)}&state=s`);
      expect(r).toEqual({ serverOrigin: 'https://as.example', clientId: 'c1', redirectUri: `http://${host}/callback/x`, redirectPort: Number(host.split(':').at(-1)) });
    }
  });
  it('ignores website sign-ins and anything that is not an authorization request', () => {
    const base = 'https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=c';
    expect(parseToolAuthorizeRequest(`${base}&redirect_uri=https%3A%2F%2Fsite.example%2Fcb`)).toBeNull();
    expect(parseToolAuthorizeRequest(`${base}&redirect_uri=https%3A%2F%2F127.0.0.1%2Fcb`)).toBeNull(); // https loopback: not a native app's
    expect(parseToolAuthorizeRequest(`${base}&redirect_uri=http%3A%2F%2F127.0.0.1.evil.example%2Fcb`)).toBeNull();
    expect(parseToolAuthorizeRequest(`https://as.example/a?response_type=token&client_id=c&redirect_uri=${LOOPBACK}`)).toBeNull();
    expect(parseToolAuthorizeRequest(`https://as.example/a?response_type=code&redirect_uri=${LOOPBACK}`)).toBeNull();
    expect(parseToolAuthorizeRequest('not a url')).toBeNull();
    expect(parseToolAuthorizeRequest(`https://as.example/a?response_type=code&client_id=c&redirect_uri=${LOOPBACK}&pad=${'x'.repeat(9000)}`)).toBeNull();
  });
  it('matches the callback by exact origin and path', () => {
    expect(isCallbackFor('http://127.0.0.1:4711/callback?code=x', 'http://127.0.0.1:4711/callback')).toBe(true);
    expect(isCallbackFor('http://127.0.0.1:4712/callback?code=x', 'http://127.0.0.1:4711/callback')).toBe(false);
    expect(isCallbackFor('http://127.0.0.1:4711/callback/other', 'http://127.0.0.1:4711/callback')).toBe(false);
  });
});

describe('rewrite rules', () => {
  it('anchor origins, wildcards and ports; host permissions leave the port out', () => {
    expect(originRegex('https://accounts.google.com')).toBe('^https://accounts\\.google\\.com/');
    const okta = new RegExp(originRegex('https://*.okta.com'));
    expect(okta.test('https://acme.okta.com/oauth2/v1/authorize')).toBe(true);
    expect(okta.test('https://okta.com/')).toBe(false);
    expect(okta.test('https://acme.okta.com.evil.example/')).toBe(false);
    expect(new RegExp(originRegex('http://127.0.0.1:5555')).test('http://127.0.0.1:55556/')).toBe(false);
    expect(hostPermissionFor('https://*.okta.com')).toBe('https://*.okta.com/*');
    expect(hostPermissionFor('http://127.0.0.1:5555')).toBe('http://127.0.0.1/*');
  });

  it('plan: one set-valued token merged by the rules, the rest left to the re-navigation', () => {
    expect(planRule(google)).toEqual({ plain: [{ key: 'access_type', value: 'offline' }], merge: { param: 'prompt', token: 'consent' }, incomplete: false });
    expect(planRule(microsoft)).toEqual({ plain: [], merge: { param: 'scope', token: 'offline_access' }, incomplete: false });
    expect(planRule(BUILTIN_RULES.find((r) => r.id === 'atlassian')!).incomplete).toBe(true);
  });

  const auth = 'https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=c&redirect_uri=https%3A%2F%2Fproxy.example%2Fcb&scope=openid+email';
  it.each([
    ['no prompt', auth, { prompt: 'consent', access_type: 'offline' }],
    ['prompt=select_account is merged', `${auth}&prompt=select_account`, { prompt: 'select_account consent', access_type: 'offline' }],
    ['prompt=consent already there', `${auth}&prompt=consent&access_type=online`, { prompt: 'consent', access_type: 'offline' }],
    ['prompt=consent+select_account kept whole', `${auth}&prompt=consent+select_account`, { prompt: 'consent select_account', access_type: 'offline' }],
    ['empty prompt', `${auth}&prompt=`, { prompt: 'consent', access_type: 'offline' }],
  ])('Google, %s', (_name, url, expected) => {
    const out = new URL(runRules(chainRules(google), url, 7).url);
    for (const [k, v] of Object.entries(expected)) expect(out.searchParams.get(k)).toBe(v);
    expect(out.searchParams.get('scope')).toBe('openid email');
    expect(missingParams(out.href, google)).toEqual([]); // what the re-navigation check sees
  });

  it('a scope token is appended, never replacing the scopes', () => {
    const url = 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize?response_type=code&client_id=c&redirect_uri=x&scope=openid%20Mail.Read';
    expect(new URL(runRules(chainRules(microsoft), url, 7).url).searchParams.get('scope')).toBe('openid Mail.Read offline_access');
    const already = `${url.replace('Mail.Read', 'offline_access')}`;
    expect(runRules(chainRules(microsoft), already, 7)).toEqual({ url: already, redirects: 0 });
  });

  it('leaves other tabs, other origins and the provider\'s own pages alone', () => {
    expect(runRules(chainRules(google), auth, 8).redirects).toBe(0);
    expect(runRules(chainRules(google), auth.replace('accounts.google.com', 'accounts.google.com.evil.example'), 7).redirects).toBe(0);
    const consentPage = 'https://accounts.google.com/signin/oauth/consent?authuser=0&part=abc&as=xyz';
    expect(runRules(chainRules(google), consentPage, 7).redirects).toBe(0);
  });

  it('the standing rule acts only on a request that itself carries a loopback redirect_uri', () => {
    const direct = [buildDirectRule(google, { id: 1, priority: 2, origin: 'https://accounts.google.com' })!];
    const native = `https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=c&redirect_uri=${LOOPBACK}`;
    expect(new URL(runRules(direct, native).url).searchParams.get('access_type')).toBe('offline');
    expect(runRules(direct, auth).redirects).toBe(0); // a website's sign-in
    expect(runRules(direct, native.replace('127.0.0.1', '127.0.0.1.evil.example')).redirects).toBe(0);
    expect(buildDirectRule(microsoft, { id: 1, priority: 2, origin: 'https://login.microsoftonline.com' })).toBeNull();
    // With the tab's rules armed too, the tab's (higher) band decides and merges.
    const both = [...direct, ...chainRules(google)];
    expect(new URL(runRules(both, `${native}&prompt=select_account`, 7).url).searchParams.get('prompt')).toBe('select_account consent');
  });
});

describe('provider settings', () => {
  it('user rules win over config and built-in rules; switched-off rules are dropped; invalid stored rules are ignored', () => {
    const settings = parseSettings({
      disabled: ['microsoft', 42],
      userRules: [{ id: 'google', origins: ['https://accounts.google.com'], params: { access_type: 'offline' } }, { id: 'bad', origins: ['http://evil.example'], params: { a: 'b' } }],
    });
    expect(settings.userRules.map((r) => r.id)).toEqual(['google']);
    const rules = effectiveRules(settings, []);
    expect(rules[0]).toMatchObject({ id: 'google', source: 'user' });
    expect(rules.map((r) => r.id)).not.toContain('microsoft');
    expect(rules.filter((r) => r.id === 'google')).toHaveLength(1);
  });
  it('the options form is validated with parseRule', () => {
    expect(ruleFromForm({ id: 'idp', name: '', origin: 'http://127.0.0.1:5555', params: 'access_type=offline\nprompt=consent', addScopes: '' })).toMatchObject({
      origins: ['http://127.0.0.1:5555'],
      params: { access_type: 'offline', prompt: 'consent' },
      source: 'user',
    });
    expect(() => ruleFromForm({ id: 'idp', name: '', origin: 'https://idp.example', params: 'redirect_uri=x', addScopes: '' })).toThrow('redirect_uri');
    expect(() => ruleFromForm({ id: 'idp', name: '', origin: 'https://idp.example', params: 'novalue', addScopes: '' })).toThrow('name=value');
  });
});

describe('LoginChains', () => {
  function setup(rules: ProviderRule[] = [google]) {
    let session: RewriteRule[] = [{ id: 1 } as RewriteRule, { id: 20_005 } as RewriteRule];
    const records = new Map<string, ChainRecord>();
    const navigations: Array<[number, string]> = [];
    const timers: Array<() => void> = [];
    const api: RewriteRulesApi = {
      getSessionRules: async () => session,
      updateSessionRules: async ({ addRules = [], removeRuleIds = [] }) => {
        session = [...session.filter((r) => !removeRuleIds.includes(r.id)), ...addRules];
      },
      isRegexSupported: async ({ regex }) => ({ isSupported: regex.length < 200 }),
    };
    let n = 0;
    const chains = new LoginChains({
      rulesApi: api,
      activity: { put: async (r) => void records.set(r.id, r), recent: async () => [...records.values()], interruptWaiting: async () => 0 },
      navigate: async (tabId, url) => void navigations.push([tabId, url]),
      ownsTab: (tabId) => tabId === 99,
      now: () => 1000,
      newId: () => `chain-${++n}`,
      setTimer: (cb) => timers.push(cb),
      clearTimer: () => undefined,
    });
    const settle = () => new Promise((r) => setTimeout(r, 0));
    return { chains, records, navigations, timers, settle, session: () => session, start: () => chains.start(async () => rules) };
  }
  const first = `https://mcp.example/authorize?response_type=code&client_id=codex-123&redirect_uri=${LOOPBACK}&state=secret-state&code_challenge=x`;
  const hop = 'https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=proxy&redirect_uri=https%3A%2F%2Fmcp.example%2Fcb&scope=openid';

  it('cleans up a previous worker\'s rules only (not the callback capture\'s) and installs standing rules', async () => {
    const t = setup();
    await t.start();
    const ids = t.session().map((r) => r.id);
    expect(ids).toContain(1);
    expect(ids).not.toContain(20_005);
    expect(ids.filter(isOurRuleId)).toEqual([10_000]);
  });

  it('follows a chain: arms the tab, records the provider and the parameters, ends at the callback', async () => {
    const t = setup();
    await t.start();
    t.chains.handleBeforeNavigate({ tabId: 7, frameId: 0, url: first });
    await t.settle();
    const tabRules = t.session().filter((r) => r.condition?.tabIds?.includes(7));
    expect(tabRules.length).toBeGreaterThan(0);
    expect(new URL(runRules(t.session(), hop, 7).url).searchParams.get('access_type')).toBe('offline');

    t.chains.handleBeforeRequest({ tabId: 7, type: 'main_frame', url: hop });
    t.chains.handleSendHeaders({ tabId: 7, type: 'main_frame', url: runRules(t.session(), hop, 7).url });
    t.chains.handleBeforeRequest({ tabId: 7, type: 'main_frame', url: 'http://127.0.0.1:4711/callback?code=the-code&state=secret-state' });
    await t.settle();
    expect(t.navigations).toEqual([]);
    const record = [...t.records.values()][0]!;
    expect(record).toMatchObject({ clientId: 'codex-123', redirectPort: 4711, serverOrigin: 'https://mcp.example', paramsAdded: ['access_type', 'prompt'], appliedBy: 'rule', outcome: 'callback' });
    expect(record.provider).toEqual({ ruleId: 'google', name: 'Google', origin: 'https://accounts.google.com' });
    expect(JSON.stringify(record)).not.toMatch(/the-code|secret-state/);
    expect(describeChain(record)).toContain('added access_type, prompt');
    expect(t.session().filter((r) => r.condition?.tabIds)).toEqual([]);
  });

  it('re-navigates once when a provider request left without the parameters', async () => {
    const t = setup();
    await t.start();
    t.chains.handleBeforeNavigate({ tabId: 7, frameId: 0, url: first });
    t.chains.handleSendHeaders({ tabId: 7, type: 'main_frame', url: hop });
    t.chains.handleSendHeaders({ tabId: 7, type: 'main_frame', url: hop });
    await t.settle();
    expect(t.navigations).toHaveLength(1);
    const fixed = new URL(t.navigations[0]![1]);
    expect(fixed.searchParams.get('access_type')).toBe('offline');
    expect(fixed.searchParams.get('prompt')).toBe('consent');
    expect([...t.records.values()][0]).toMatchObject({ appliedBy: 'renavigation' });
  });

  it('does not start chains for website sign-ins, our own login tabs or sub-frames; ends on tab close and timeout', async () => {
    const t = setup();
    await t.start();
    t.chains.handleBeforeNavigate({ tabId: 7, frameId: 0, url: hop });
    t.chains.handleBeforeNavigate({ tabId: 99, frameId: 0, url: first });
    t.chains.handleBeforeNavigate({ tabId: 7, frameId: 3, url: first });
    expect(t.chains.activeTabs).toEqual([]);
    t.chains.handleSendHeaders({ tabId: 7, type: 'main_frame', url: hop });
    expect(t.navigations).toEqual([]);

    t.chains.handleBeforeNavigate({ tabId: 7, frameId: 0, url: first });
    t.chains.handleTabRemoved(7);
    t.chains.handleBeforeNavigate({ tabId: 8, frameId: 0, url: first });
    t.timers.at(-1)!();
    await t.settle();
    expect([...t.records.values()].map((r) => r.outcome)).toEqual(['tab-closed', 'expired']);
    expect(t.chains.activeTabs).toEqual([]);
  });

  it("ends when the user takes the tab elsewhere, not at the chain's own commits or the login's pages", async () => {
    const t = setup();
    await t.start();
    t.chains.handleBeforeNavigate({ tabId: 7, frameId: 0, url: first });
    // The tool's URL, opened from a terminal, may itself commit as typed: that commit is the chain's.
    t.chains.handleCommitted({ tabId: 7, frameId: 0, transitionType: 'typed', transitionQualifiers: ['server_redirect'] });
    // The login's own pages: a consent form, a link, a reload, a sub-frame typed (impossible, still ignored).
    t.chains.handleCommitted({ tabId: 7, frameId: 0, transitionType: 'form_submit', transitionQualifiers: [] });
    t.chains.handleCommitted({ tabId: 7, frameId: 0, transitionType: 'link', transitionQualifiers: ['client_redirect'] });
    t.chains.handleCommitted({ tabId: 7, frameId: 0, transitionType: 'reload', transitionQualifiers: [] });
    t.chains.handleCommitted({ tabId: 7, frameId: 2, transitionType: 'typed' });
    t.chains.handleCommitted({ tabId: 8, frameId: 0, transitionType: 'typed' });
    expect(t.chains.activeTabs).toEqual([7]);

    // Our re-navigation's commit is the chain's too (whatever the browser calls it)...
    t.chains.handleSendHeaders({ tabId: 7, type: 'main_frame', url: hop });
    expect(t.navigations).toHaveLength(1);
    t.chains.handleCommitted({ tabId: 7, frameId: 0, transitionType: 'typed' });
    expect(t.chains.activeTabs).toEqual([7]);

    // ...but an address the user types afterwards ends it, and its rules go with it.
    t.chains.handleCommitted({ tabId: 7, frameId: 0, transitionType: 'typed', transitionQualifiers: ['from_address_bar'] });
    await t.settle();
    expect(t.chains.activeTabs).toEqual([]);
    expect([...t.records.values()].map((r) => r.outcome)).toEqual(['left']);
    expect(t.session().filter((r) => r.condition?.tabIds)).toEqual([]);
    // A website sign-in in that tab now starts nothing and is not re-navigated.
    t.chains.handleSendHeaders({ tabId: 7, type: 'main_frame', url: hop });
    expect(t.navigations).toHaveLength(1);

    // Back/forward counts as the user's choice too, whatever its core type.
    t.chains.handleBeforeNavigate({ tabId: 9, frameId: 0, url: first });
    t.chains.handleCommitted({ tabId: 9, frameId: 0, transitionType: 'link' });
    t.chains.handleCommitted({ tabId: 9, frameId: 0, transitionType: 'link', transitionQualifiers: ['forward_back'] });
    await t.settle();
    expect(t.chains.activeTabs).toEqual([]);
  });
});

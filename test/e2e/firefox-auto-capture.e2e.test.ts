/**
 * Automatic capture of other tools' logins (DESIGN.md 3.2) in headless Firefox ESR with the MV3
 * add-on and no native host, driven over WebDriver BiDi (test/fixtures/firefox-harness.ts). The
 * Firefox counterparts of auto-capture.e2e.test.ts:
 * - a proxied chain whose authorization server (`as.test`, not loopback) answers at once: the
 *   provider still receives the parameters, by the tab's rules or by the one re-navigation; and a
 *   rule the tab's rules cannot fully express, so the re-navigation runs every time;
 * - the options page (moz-extension://<uuid>/options.html) adds the provider's rule; switched off
 *   it is not applied, switched on again it is; a rule for a new origin waits for Firefox's
 *   permission prompt (answered in the browser window's chrome context);
 * - an abandoned tool login whose tab the user takes elsewhere through the address bar: the chain
 *   ends, and a website's sign-in in that tab reaches the provider unchanged.
 * `network.dns.localDomains` makes Firefox resolve the test names to loopback (Chromium's
 * --host-resolver-rules). The provider's own log of authorize requests is the witness; the add-on's
 * session rules and webNavigation commits are read from the options page, an extension page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchFirefoxWithAddon, until, type FirefoxHarness } from '../fixtures/firefox-harness';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../fixtures/google-like-provider';
import { startProxyAuthorizationServer } from '../fixtures/proxy-authorization-server';
import { toolLoginViaProxy } from '../helpers/tool-login';

const RULE_ID = 'fixture-provider';

let provider: GoogleLikeProvider;
let firefox: FirefoxHarness;
let home: string;
/** The options page's tab: the extension page the test reads the add-on's state through. */
let options: string;
const cleanups: Array<() => Promise<unknown>> = [];

type SessionRule = { id: number; condition: { regexFilter?: string; tabIds?: number[] } };
interface Commit {
  tabId: number;
  url: string;
  transitionType: string;
  transitionQualifiers: string[];
}

/** Evaluates `expression` in the options page and parses the JSON string it returns. */
async function inOptions<T>(expression: string): Promise<T> {
  return JSON.parse(String(await firefox.bidi.evaluate(options, `(async () => JSON.stringify(await (${expression})))()`))) as T;
}

const sessionRules = () => inOptions<SessionRule[]>('browser.declarativeNetRequest.getSessionRules()');

/** The standing rules mention the provider's port when a rule for it is on. */
const providerRuleArmed = async () =>
  (await sessionRules()).some((r) => r.id >= 10_000 && r.id < 11_000 && r.condition.regexFilter?.includes(`:${new URL(provider.issuer).port}/`));

/** Authorize requests the provider received for a client, as received (path + query). */
const authorizeRequestsFor = (clientId: string) =>
  provider.stats.authorizeRequests.filter((u) => u.searchParams.get('client_id') === clientId).map((u) => u.pathname + u.search);

async function openOptions(): Promise<string> {
  const context = await firefox.bidi.openTab(`${firefox.extensionOrigin}/options.html`);
  await until(
    async () => (await firefox.bidi.evaluate(context, `document.readyState === 'complete' && document.querySelectorAll('#rules tbody tr').length > 0`).catch(() => false)) === true,
    'the options page',
    15_000,
  );
  return context;
}

async function setRuleEnabled(id: string, enabled: boolean): Promise<void> {
  const wanted = enabled ? 'switched on' : 'switched off';
  // A click on the switch, as a person's: its change handler saves the setting.
  await firefox.bidi.evaluate(
    options,
    `(() => { const box = document.querySelector('tr[data-rule-id=${JSON.stringify(id)}] input[type="checkbox"]'); if (box.checked !== ${enabled}) box.click(); })()`,
  );
  await until(async () => String(await firefox.bidi.evaluate(options, `document.querySelector('#rules-status').textContent`)).includes(wanted), `the page to say ${wanted}`, 5_000);
  await until(async () => (await providerRuleArmed()) === enabled, `the rule to be ${enabled ? 'on' : 'off'}`, 10_000);
}

/**
 * Opens `url` in a new tab. When a provider hop slips through without the parameters, the add-on
 * re-navigates the tab once with them, which aborts the navigation started here (Firefox answers
 * NS_BINDING_ABORTED): that is the fallback working.
 */
async function openTabAllowingRenavigation(url: string): Promise<void> {
  const { context } = await firefox.bidi.send('browsingContext.create', { type: 'tab' });
  await firefox.bidi.send('browsingContext.navigate', { context, url, wait: 'none' }).catch((error: Error) => {
    if (!/NS_BINDING_ABORTED/.test(error.message)) throw error;
  });
}

/** Fills in and submits the options page's "Add a rule" form; waits until the page says it saved. */
async function addRule(fields: { id: string; name: string; origin: string; params: string; addScopes?: string }): Promise<void> {
  await firefox.bidi.evaluate(
    options,
    `(() => {
      const set = (id, value) => (document.querySelector(id).value = value);
      set('#rule-id', ${JSON.stringify(fields.id)});
      set('#rule-name', ${JSON.stringify(fields.name)});
      set('#rule-origin', ${JSON.stringify(fields.origin)});
      set('#rule-params', ${JSON.stringify(fields.params)});
      set('#rule-scopes', ${JSON.stringify(fields.addScopes ?? '')});
      document.querySelector('#add-status').dataset.state = 'idle';
      document.querySelector('#add').click();
    })()`,
  );
  await until(async () => (await firefox.bidi.evaluate(options, `document.querySelector('#add-status').dataset.state`)) !== 'idle', `the rule ${fields.id} to be saved`, 5_000);
  expect(await firefox.bidi.evaluate(options, `document.querySelector('#add-status').textContent`)).toContain(`Rule ${fields.id} saved`);
}


beforeAll(async () => {
  // A real provider shows a consent page before it issues a code; without that pause the fixture
  // would issue one before a re-navigation could reach it, which no real provider does. A person
  // takes seconds; 1 s leaves a loaded machine room for the re-navigation.
  const providerStarted = startGoogleLikeProvider({ registration: true, interactionDelayMs: 1000 }).then((p) => {
    provider = p;
    cleanups.push(() => p.close());
  });
  // No host: automatic capture needs none. HOME is an empty folder, so Firefox finds no host manifest.
  home = mkdtempSync(join(tmpdir(), 'mlb-firefox-capture-'));
  const browserStarted = launchFirefoxWithAddon({
    env: { HOME: home },
    prefs: {
      'network.dns.localDomains': 'as.test,www.site.test',
      // HTTPS-First would try https:// at these plain-http test names before falling back.
      'dom.security.https_first': false,
    },
  }).then((f) => {
    firefox = f;
    cleanups.push(() => f.close());
  });
  const settled = await Promise.allSettled([providerStarted, browserStarted]);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;

  options = await openOptions();
  // Every top-level commit Firefox reports to the add-on, as the background's listener sees it.
  await firefox.bidi.evaluate(
    options,
    `(() => { globalThis.commits = []; browser.webNavigation.onCommitted.addListener((d) => { if (d.frameId === 0) commits.push({ tabId: d.tabId, url: d.url, transitionType: d.transitionType, transitionQualifiers: d.transitionQualifiers }); }); })()`,
  );

  // The fixture provider behaves like Google: the user teaches the add-on so on the options page.
  // Its origin is loopback, which the add-on may already reach: no permission prompt.
  await addRule({ id: RULE_ID, name: 'Fixture provider (Google-like)', origin: provider.issuer, params: 'access_type=offline\nprompt=consent' });
  await until(providerRuleArmed, 'the user rule to reach the background', 10_000);
}, 90_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('automatic capture in Firefox ESR', () => {
  it('proxied chain: a server that answers at once still gets the parameters to the provider', async () => {
    const proxy = await startProxyAuthorizationServer({ upstreamIssuer: provider.issuer, publicHost: 'as.test' });
    cleanups.push(() => proxy.close());
    expect(proxy.upstreamRedirectUri).toMatch(/^http:\/\/as\.test:\d+\/upstream\/callback$/);
    const tokens = (await toolLoginViaProxy(proxy, 'tool-ff-fast', openTabAllowingRenavigation)).tokens;
    const sent = authorizeRequestsFor(proxy.upstreamClientId);
    // Either the rules were armed in time (one request) or the tab was re-navigated once (two).
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.length).toBeLessThanOrEqual(2);
    const q = new URLSearchParams(sent.at(-1)!.split('?')[1]);
    expect(q.get('redirect_uri')).toBe(proxy.upstreamRedirectUri);
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('prompt')).toBe('consent');
    expect(tokens.refresh_token, 'the tool ends refresh-capable').toEqual(expect.any(String));
    // The chain's tab rules are gone with the chain (it ended at the callback); the standing ones remain.
    await until(async () => (await sessionRules()).every((r) => r.id < 20_000), 'the chain rules to be removed', 5_000);
    console.info(`Firefox, fast proxy: ${sent.length === 1 ? 'rules armed in time' : 'rescued by one re-navigation'}`);
  });

  it('proxied chain: what the tab rules cannot add is added by one re-navigation of the provider hop', async () => {
    // A second scope next to prompt=consent is a merge declarativeNetRequest cannot do (rewrite-rules.ts):
    // the hop always leaves without it, so the fallback runs on every login, not only on a lost race.
    // A user rule wins over the older one for the same provider.
    const id = 'fixture-provider-profile';
    const installs = () => firefox.output().split('provider rule(s) active').length;
    const before = installs();
    await addRule({ id, name: 'Fixture provider, with profile', origin: provider.issuer, params: 'access_type=offline\nprompt=consent', addScopes: 'profile' });
    try {
      // Its standing rule looks like the older rule's (scopes are left out of it), so the
      // background's log says when it has taken the new set.
      await until(() => installs() > before, 'the background to install the new rules', 5_000);
      // The server pauses as a real one would, so the tab's rules are usually armed before the hop.
      const proxy = await startProxyAuthorizationServer({ upstreamIssuer: provider.issuer, publicHost: 'as.test', authorizeDelayMs: 100 });
      cleanups.push(() => proxy.close());
      const tokens = (await toolLoginViaProxy(proxy, 'tool-ff-renavigated', openTabAllowingRenavigation)).tokens;
      const sent = authorizeRequestsFor(proxy.upstreamClientId).map((s) => new URLSearchParams(s.split('?')[1]));
      expect(sent).toHaveLength(2);
      // The hop as it left: the tab rules' part only, or nothing at all when it left before the
      // tab's rules were armed (the first test's race: 1 run in 8 here without the server's
      // pause). Either way the scope is beyond the rules, so the re-navigation runs every time.
      const armedInTime = sent[0]!.has('access_type');
      expect(sent[0]!.get('access_type')).toBe(armedInTime ? 'offline' : null);
      expect(sent[0]!.get('prompt')).toBe(armedInTime ? 'consent' : null);
      expect(sent[0]!.get('scope')).toBe('openid email');
      // The add-on's re-navigation: the exact merge, same request otherwise.
      expect(sent[1]!.get('scope')).toBe('openid email profile');
      expect(sent[1]!.get('prompt')).toBe('consent');
      expect(sent[1]!.get('access_type')).toBe('offline');
      expect(sent[1]!.get('state')).toBe(sent[0]!.get('state'));
      expect(tokens.refresh_token, 'the tool ends refresh-capable').toEqual(expect.any(String));
      console.info(`Firefox, rule beyond the tab rules: ${armedInTime ? 'rules armed in time' : 'rules armed late'}, then one re-navigation`);
    } finally {
      await firefox.bidi.evaluate(options, `document.querySelector('tr[data-rule-id=${JSON.stringify(id)}] button').click()`);
      await until(async () => !(await inOptions<Array<{ id: string }>>(`browser.storage.local.get('providerSettings').then((s) => s.providerSettings.userRules)`)).some((r) => r.id === id), 'the rule to be removed', 5_000);
    }
  });

  it('a rule switched off in options is not applied; switched on again, it is', async () => {
    const nativeUrl = (clientId: string) =>
      `${provider.issuer}/auth?response_type=code&client_id=${clientId}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&scope=openid&state=s&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
    await setRuleEnabled(RULE_ID, false);
    await firefox.bidi.openTab(nativeUrl('native-ff-off'));
    await until(() => authorizeRequestsFor('native-ff-off').length > 0, 'the provider to see native-ff-off', 10_000);
    expect(authorizeRequestsFor('native-ff-off')).toHaveLength(1);
    expect(authorizeRequestsFor('native-ff-off')[0]).not.toContain('access_type');

    await setRuleEnabled(RULE_ID, true);
    await firefox.bidi.openTab(nativeUrl('native-ff-on'));
    await until(() => authorizeRequestsFor('native-ff-on').length > 0, 'the provider to see native-ff-on', 10_000);
    expect(authorizeRequestsFor('native-ff-on').at(-1)).toContain('access_type=offline');
  });

  it("a rule for an origin the add-on cannot reach yet is saved only once the user allows Firefox's permission prompt", async () => {
    const origin = 'https://idp.example.com';
    const fill = () =>
      firefox.bidi.evaluate(
        options,
        `(() => {
          document.querySelector('#rule-id').value = 'example-idp';
          document.querySelector('#rule-origin').value = ${JSON.stringify(origin)};
          document.querySelector('#rule-params').value = 'access_type=offline';
          document.querySelector('#add-status').dataset.state = 'idle';
        })()`,
      );
    const status = async () => JSON.parse(String(await firefox.bidi.evaluate(options, `JSON.stringify({ state: document.querySelector('#add-status').dataset.state, text: document.querySelector('#add-status').textContent })`))) as { state: string; text: string };
    const granted = () => inOptions<boolean>(`browser.permissions.contains({ origins: ['${origin}/*'] })`);
    expect(await granted()).toBe(false);

    // permissions.request needs a user's click: a trusted one from WebDriver input, not a script's.
    await fill();
    await firefox.bidi.clickAsUser(options, '#add');
    expect(await firefox.bidi.answerPermissionPrompt(false)).toContain('idp.example.com');
    await until(async () => (await status()).state !== 'idle', 'the page to answer', 5_000);
    expect((await status()).text).toContain(`Not saved: the extension needs access to ${origin}`);
    expect(await firefox.bidi.evaluate(options, `document.querySelectorAll('tr[data-rule-id="example-idp"]').length`)).toBe(0);

    await fill();
    await firefox.bidi.clickAsUser(options, '#add');
    await firefox.bidi.answerPermissionPrompt(true);
    await until(async () => (await status()).state !== 'idle', 'the page to answer', 5_000);
    expect((await status()).state).toBe('success');
    expect(await granted()).toBe(true);
    // The background arms it: a standing rule for the new origin.
    await until(async () => (await sessionRules()).some((r) => r.condition.regexFilter?.includes('idp\\.example\\.com')), 'the rule for the new origin', 5_000);
  });

  it('a website sign-in after the user typed another address in a tab whose tool login was abandoned is left alone', async () => {
    // A tool's login stopped at its server's own consent page (the user walked away): its chain is
    // live in this tab. The user then takes the tab to a website and signs in there with the provider.
    const signIn = `/auth?response_type=code&client_id=website-ff-later&redirect_uri=https%3A%2F%2Fwww.site.test%2Fauth%2Fcallback&scope=openid+email&state=web-2&prompt=select_account`;
    const site = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(req.url?.startsWith('/authorize') ? '<!doctype html><title>Consent</title><p>Allow the tool?</p>' : `<!doctype html><title>Site</title><a id="sign-in" href="${provider.issuer}${signIn}">Sign in</a>`);
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      site.closeAllConnections();
      await new Promise((r) => site.close(r));
    });
    const origin = `http://www.site.test:${(site.address() as AddressInfo).port}`;
    const tab = await firefox.bidi.openTab(`${origin}/authorize?response_type=code&client_id=tool-ff-abandoned&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&state=s&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
    let tabId: number | undefined;
    await until(async () => (tabId = (await inOptions<Array<{ id: number }>>(`browser.tabs.query({ title: 'Consent' })`))[0]?.id) !== undefined, 'the consent page', 10_000);
    const chainArmed = async () => (await sessionRules()).some((r) => r.condition.tabIds?.includes(tabId!));
    await until(chainArmed, "the abandoned chain's tab rules", 10_000);

    // Firefox reports a WebDriver navigation as a plain "link", the same as a click in the page: the
    // login's own pages do that, so the chain goes on.
    await firefox.bidi.send('browsingContext.navigate', { context: tab, url: `${origin}/?via=webdriver`, wait: 'complete' });
    const commitsTo = async (url: string) => (await inOptions<Commit[]>('commits')).filter((c) => c.tabId === tabId && c.url === url);
    await until(async () => (await commitsTo(`${origin}/?via=webdriver`)).length > 0, 'the WebDriver navigation to commit', 5_000);
    const [webdriver] = await commitsTo(`${origin}/?via=webdriver`);
    console.info(`Firefox: browsingContext.navigate commits as ${JSON.stringify({ type: webdriver!.transitionType, qualifiers: webdriver!.transitionQualifiers })}`);
    if (webdriver!.transitionType === 'link') expect(await chainArmed(), 'a "link" commit does not end the chain').toBe(true);

    // Typed into the address bar: Firefox reports "typed" from the address bar, and the chain ends.
    await firefox.bidi.typeInAddressBar(tab, `${origin}/`);
    await until(async () => (await commitsTo(`${origin}/`)).length > 0, 'the typed navigation to commit', 5_000);
    const [typed] = await commitsTo(`${origin}/`);
    expect(typed).toMatchObject({ transitionType: 'typed', transitionQualifiers: ['from_address_bar'] });
    await until(async () => !(await chainArmed()), 'the chain to end', 5_000);

    await until(async () => (await firefox.bidi.evaluate(tab, `document.readyState === 'complete' && Boolean(document.querySelector('#sign-in'))`).catch(() => false)) === true, 'the site', 5_000);
    await firefox.bidi.evaluate(tab, `document.querySelector('#sign-in').click()`);
    await until(() => authorizeRequestsFor('website-ff-later').length > 0, 'the sign-in to reach the provider', 10_000);
    expect(authorizeRequestsFor('website-ff-later')).toEqual([signIn]);
  });
});

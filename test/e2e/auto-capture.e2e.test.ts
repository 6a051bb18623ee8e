/**
 * Automatic capture of other tools' logins (DESIGN.md 3.2) in real Chromium with the built
 * extension and no native host:
 * - the real Codex binary (`codex mcp login --no-browser`) against the Google-like provider: with the
 *   extension its stored credential has a refresh token; in the same browser without the
 *   extension it has none (the seed's bug, reproduced and fixed in one test);
 * - a proxied chain: the tool starts at an MCP server's own authorization server (`as.test`, not
 *   loopback) that forwards to the provider with its own non-loopback callback — only the tab's
 *   chain explains the rewrite; prompt merging; a fast server that wins the race;
 * - a website's sign-in (non-loopback redirect_uri, no chain) reaches the provider unchanged;
 * - a rule switched off on the options page is not applied; the user rule added there is.
 * One browser serves every test; the provider's own log of authorize requests is the witness.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, REPO_ROOT, TEST_HOSTS_ARG, ensureExtensionBuilt, launchBrowserWithExtension, type BrowserHarness } from '../fixtures/browser-harness';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../fixtures/mcp-server';
import { startProxyAuthorizationServer } from '../fixtures/proxy-authorization-server';
import { toolLoginViaProxy } from '../helpers/tool-login';

const CODEX = join(REPO_ROOT, 'node_modules/.bin/codex');
const RULE_ID = 'fixture-provider';

let harness: BrowserHarness;
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
const cleanups: Array<() => Promise<unknown>> = [];

type Rule = { id: number; priority: number; condition: { regexFilter?: string; tabIds?: number[] } };
const sessionRules = (): Promise<Rule[]> =>
  harness.serviceWorker.evaluate(() => (globalThis as unknown as { chrome: any }).chrome.declarativeNetRequest.getSessionRules());

async function waitFor(predicate: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * For a proxy that must answer only once a chain's tab rules are armed: the tests that pin "added
 * before the request left" hold the hop until then, as a server across a network would take
 * longer than arming does. The lost race itself is the "answers at once" test's.
 */
async function chainRulesArmed(): Promise<void> {
  await waitFor(async () => (await sessionRules()).some((r) => r.id >= 20_000), "the chain's tab rules");
}

/** The standing rules mention the provider's port when a rule for it is on. */
const providerRuleArmed = async () => (await sessionRules()).some((r) => r.id >= 10_000 && r.id < 11_000 && r.condition.regexFilter?.includes(`:${new URL(provider.issuer).port}/`));

/** Authorize requests the provider received for a client, as received (path + query). */
const authorizeRequestsFor = (clientId: string) =>
  provider.stats.authorizeRequests.filter((u) => u.searchParams.get('client_id') === clientId).map((u) => u.pathname + u.search);

/** Runs `codex mcp login` with its own CODEX_HOME; `open` gets the printed URL. Returns the stored entry. */
async function codexLogin(open: (url: string) => Promise<void>): Promise<{ refresh_token: string | null; access_token: string; client_id: string }> {
  const home = await mkdtemp(join(tmpdir(), 'mlb-codex-'));
  try {
    await writeFile(join(home, 'config.toml'), `mcp_oauth_credentials_store = "file"\n\n[mcp_servers.fixture]\nurl = "${mcp.url}"\n`);
    const child = spawn(CODEX, ['mcp', 'login', 'fixture', '--no-browser'], { env: { ...process.env, CODEX_HOME: home }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const url = new Promise<string>((resolve) => {
      const onData = (d: Buffer) => {
        output += d;
        const m = output.match(/(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)\r?\n/);
        if (m) resolve(m[1]!);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const timeout = setTimeout(() => child.kill(), 30_000);
    try {
      await Promise.race([url.then(open), exited]);
      const code = await exited;
      expect(code, output).toBe(0);
    } finally {
      clearTimeout(timeout);
    }
    const stored = JSON.parse(await readFile(join(home, '.credentials.json'), 'utf8')) as Record<string, { refresh_token: string | null; access_token: string; client_id: string }>;
    const entry = Object.values(stored)[0]!;
    expect(entry.access_token.length).toBeGreaterThan(10);
    return entry;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}


async function openInNewTab(url: string): Promise<void> {
  const page = await harness.context.newPage();
  cleanups.push(() => page.close());
  await page.goto(url).catch((error: Error) => {
    // When a provider hop slips through unarmed, the extension re-navigates the tab once with the
    // parameters, which aborts the navigation started here: that is the fallback working.
    if (!/net::ERR_ABORTED/.test(error.message)) throw error;
  });
}

async function options() {
  const page = await harness.context.newPage();
  await page.goto(`chrome-extension://${harness.extensionId}/options.html`);
  return page;
}

async function setRuleEnabled(id: string, enabled: boolean): Promise<void> {
  const page = await options();
  const box = page.locator(`tr[data-rule-id="${id}"] input[type="checkbox"]`);
  if ((await box.isChecked()) !== enabled) await box.click();
  await page.locator('#rules-status').filter({ hasText: enabled ? 'switched on' : 'switched off' }).waitFor();
  await page.close();
  await waitFor(async () => (await providerRuleArmed()) === enabled, `the rule to be ${enabled ? 'on' : 'off'}`);
}

beforeAll(async () => {
  await ensureExtensionBuilt();
  // A real provider shows a consent page before it issues a code; without that pause the fixture
  // would issue one before a re-navigation (the fallback for a provider hop that slipped through
  // unarmed) could reach it, which no real provider does. A person takes seconds; 1 s leaves a
  // loaded machine room for the re-navigation.
  provider = await startGoogleLikeProvider({ registration: true, interactionDelayMs: 1000 });
  cleanups.push(() => provider.close());
  mcp = await startMcpServer({ issuer: provider.issuer });
  cleanups.push(() => mcp.close());
  harness = await launchBrowserWithExtension({ extraArgs: [TEST_HOSTS_ARG] });
  cleanups.push(() => harness.close());

  // The fixture provider behaves like Google: the user teaches the extension so on the options page.
  const page = await options();
  await page.fill('#rule-id', RULE_ID);
  await page.fill('#rule-name', 'Fixture provider (Google-like)');
  await page.fill('#rule-origin', provider.issuer);
  await page.fill('#rule-params', 'access_type=offline\nprompt=consent');
  await page.click('#add');
  await page.locator('#add-status[data-state="success"]').waitFor();
  await page.close();
  await waitFor(providerRuleArmed, 'the user rule to reach the background');
}, 120_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe('automatic capture in Chromium', () => {
  it('the options page refuses an invalid rule and names the field', async () => {
    const page = await options();
    await page.fill('#rule-id', 'bad');
    await page.fill('#rule-origin', 'http://idp.example.com');
    await page.fill('#rule-params', 'access_type=offline');
    await page.click('#add');
    await page.locator('#add-status[data-state="error"]').waitFor();
    // The message sits on its field, which is marked and focused; the status line points there.
    expect(await page.textContent('#rule-origin-error')).toContain('must be https (http only for loopback)');
    expect(await page.getAttribute('#rule-origin', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#add-status')).toBe('Not saved: check Provider origin.');
    await page.fill('#rule-origin', 'https://idp.example.com');
    await page.fill('#rule-params', 'client_id=evil');
    await page.click('#add');
    await page.locator('#rule-params-error').filter({ hasText: 'client_id' }).waitFor();
    expect(await page.getAttribute('#rule-origin', 'aria-invalid')).toBeNull();
    expect(await page.locator('tr[data-rule-id="bad"]').count()).toBe(0);
    await page.close();
  });

  it('real Codex: with the extension its credential has a refresh token; without it, none', async () => {
    const started = Date.now();
    const withExtension = await codexLogin(openInNewTab);
    const sent = authorizeRequestsFor(withExtension.client_id);
    expect(sent.at(-1)).toContain('access_type=offline');
    expect(new URLSearchParams(sent.at(-1)!.split('?')[1]).get('prompt')).toBe('consent');
    expect(withExtension.refresh_token, 'Codex stored a refresh token').toEqual(expect.any(String));
    const withMs = Date.now() - started;

    // The same run in the same Chromium build without the extension: the seed's bug.
    const plain = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--headless=new', '--disable-gpu', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])] });
    try {
      const ctx = await plain.newContext();
      const without = await codexLogin(async (url) => void (await (await ctx.newPage()).goto(url)));
      expect(authorizeRequestsFor(without.client_id).at(-1)).not.toContain('access_type');
      expect(without.refresh_token).toBeNull();
    } finally {
      await plain.close();
    }

    // The activity log recorded the chain, and holds nothing secret.
    const popup = await harness.openPopup();
    const item = popup.locator('#chain-list li').first();
    await item.waitFor();
    const text = (await item.textContent()) ?? '';
    expect(text).toContain(withExtension.client_id);
    expect(text).toContain('Fixture provider (Google-like)');
    expect(text).toContain('added access_type, prompt');
    expect(text).toContain('returned to the tool');
    const dump = await popup.evaluate(async () => {
      const open = indexedDB.open('mcp-login-bridge-activity');
      const db = await new Promise<IDBDatabase>((r) => (open.onsuccess = () => r(open.result)));
      const all = db.transaction('chains').objectStore('chains').getAll();
      return JSON.stringify(await new Promise((r) => (all.onsuccess = () => r(all.result))));
    });
    expect(dump).toContain(withExtension.client_id);
    for (const secret of [withExtension.access_token, withExtension.refresh_token!, 'code=', 'state=']) expect(dump).not.toContain(secret);
    await popup.close();
    console.info(`real Codex login with the extension: ${withMs} ms`);
  });

  it('proxied chain: the provider hop behind a non-loopback authorization server gets the parameters', async () => {
    expect((await sessionRules()).filter((r) => r.id >= 20_000), 'no chain is live before this one').toEqual([]);
    const proxy = await startProxyAuthorizationServer({ upstreamIssuer: provider.issuer, publicHost: 'as.test', authorizeGate: chainRulesArmed });
    cleanups.push(() => proxy.close());
    expect(proxy.upstreamRedirectUri).toMatch(/^http:\/\/as\.test:\d+\/upstream\/callback$/);
    const { tokens } = await toolLoginViaProxy(proxy, `tool-${randomBytes(4).toString('hex')}`, openInNewTab);
    const sent = authorizeRequestsFor(proxy.upstreamClientId);
    expect(sent).toHaveLength(1); // added before the request left: no second request
    const q = new URLSearchParams(sent[0]!.split('?')[1]);
    expect(q.get('redirect_uri')).toBe(proxy.upstreamRedirectUri);
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('prompt')).toBe('consent');
    expect(tokens.refresh_token, 'the tool ends refresh-capable').toEqual(expect.any(String));
    // The chain's tab rules are gone with the chain; the standing ones remain.
    await waitFor(async () => (await sessionRules()).every((r) => r.id < 20_000), 'the chain rules to be removed');
  });

  it('proxied chain: an existing prompt is merged (select_account consent)', async () => {
    expect((await sessionRules()).filter((r) => r.id >= 20_000), 'no chain is live before this one').toEqual([]);
    const proxy = await startProxyAuthorizationServer({ upstreamIssuer: provider.issuer, publicHost: 'as.test', upstreamPrompt: 'select_account', authorizeGate: chainRulesArmed });
    cleanups.push(() => proxy.close());
    // Only the provider's view matters here (the fixture has no account chooser to finish with).
    const authorize = `${proxy.publicOrigin}/authorize?response_type=code&client_id=tool-merge&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&state=s&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
    await openInNewTab(authorize);
    await waitFor(async () => authorizeRequestsFor(proxy.upstreamClientId).length > 0, 'the provider hop');
    const sent = authorizeRequestsFor(proxy.upstreamClientId);
    expect(sent).toHaveLength(1);
    const q = new URLSearchParams(sent[0]!.split('?')[1]);
    expect(q.get('prompt')).toBe('select_account consent');
    expect(q.get('access_type')).toBe('offline');
  });

  it('proxied chain: a server that answers at once still gets the parameters to the provider', async () => {
    const proxy = await startProxyAuthorizationServer({ upstreamIssuer: provider.issuer, publicHost: 'as.test' });
    cleanups.push(() => proxy.close());
    const { tokens } = await toolLoginViaProxy(proxy, `tool-${randomBytes(4).toString('hex')}`, openInNewTab);
    const sent = authorizeRequestsFor(proxy.upstreamClientId);
    // Either the rules were armed in time (one request) or the tab was re-navigated once (two).
    expect(sent.length).toBeLessThanOrEqual(2);
    expect(sent.at(-1)).toContain('access_type=offline');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    console.info(`fast proxy: ${sent.length === 1 ? 'rules armed in time' : 'rescued by one re-navigation'}`);
  });

  it('a website sign-in (non-loopback redirect_uri, no chain) reaches the provider byte-for-byte unchanged', async () => {
    const path = `/auth?response_type=code&client_id=website-client&redirect_uri=https%3A%2F%2Fwww.site.test%2Fauth%2Fcallback&scope=openid+email&state=web-1&prompt=select_account`;
    await openInNewTab(`${provider.issuer}${path}`);
    expect(authorizeRequestsFor('website-client')).toEqual([path]);
  });

  it('a website sign-in after the user typed another address in a tab whose tool login was abandoned is left alone', async () => {
    // A tool's login stopped at its server's own consent page (the user walked away): its chain is
    // live in this tab. The user then types a website's address there and signs in with the provider.
    const signIn = `/auth?response_type=code&client_id=website-later&redirect_uri=https%3A%2F%2Fwww.site.test%2Fauth%2Fcallback&scope=openid+email&state=web-2&prompt=select_account`;
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
    const page = await harness.context.newPage();
    cleanups.push(() => page.close());
    await page.goto(`${origin}/authorize?response_type=code&client_id=tool-abandoned&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&state=s&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
    // The title reaches the browser process on its own, possibly after the load event goto waited for.
    let tabId: number | undefined;
    await waitFor(async () => {
      tabId = await harness.serviceWorker.evaluate(async () => (await (globalThis as unknown as { chrome: any }).chrome.tabs.query({ title: 'Consent' }))[0]?.id as number | undefined);
      return tabId !== undefined;
    }, 'the consent tab');
    await waitFor(async () => (await sessionRules()).some((r) => r.condition.tabIds?.includes(tabId!)), "the abandoned chain's tab rules");

    await page.goto(`${origin}/`); // typed into the address bar
    await waitFor(async () => !(await sessionRules()).some((r) => r.condition.tabIds?.includes(tabId!)), 'the chain to end');
    await page.click('#sign-in');
    await waitFor(async () => authorizeRequestsFor('website-later').length > 0, 'the sign-in to reach the provider');
    expect(authorizeRequestsFor('website-later')).toEqual([signIn]);
  });

  it('a rule switched off in options is not applied; switched on again, it is', async () => {
    const nativeUrl = (clientId: string) =>
      `${provider.issuer}/auth?response_type=code&client_id=${clientId}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&scope=openid&state=s&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
    await setRuleEnabled(RULE_ID, false);
    await openInNewTab(nativeUrl('native-off'));
    expect(authorizeRequestsFor('native-off')).toHaveLength(1);
    expect(authorizeRequestsFor('native-off')[0]).not.toContain('access_type');

    await setRuleEnabled(RULE_ID, true);
    await openInNewTab(nativeUrl('native-on'));
    expect(authorizeRequestsFor('native-on').at(-1)).toContain('access_type=offline');
  });
});

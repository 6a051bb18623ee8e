/**
 * One real login end to end: the popup of the real extension in real Chromium asks the real host
 * (started by Chromium through native messaging) to begin; the Google-like provider logs in and
 * consents; the extension captures the callback; the host redeems the code and writes the
 * Secret Service keyring. Then the CLI refreshes and the token calls a real MCP tool.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../native-host/stores/bridge-store';
import { followToCallback } from '../helpers/redirect-follower';
import type { StoredCredential } from '../../native-host/stores/credential';
import { authorizeInPopup, startLoginWorld, type LoginWorld } from './login-world';

let world: LoginWorld | undefined;
let restoreEnv: (() => void) | undefined;
afterEach(async () => {
  restoreEnv?.();
  restoreEnv = undefined;
  await world?.close();
  world = undefined;
});

/** The bridge store as the host sees it, read in this process through the same keyring. */
function bridgeStore(w: LoginWorld): BridgeStore {
  restoreEnv ??= w.keyring.applyToProcess();
  return new BridgeStore();
}

async function extensionStorageDump(w: LoginWorld): Promise<string> {
  return w.browser.serviceWorker.evaluate(async () => {
    const api = (globalThis as any).chrome;
    const [local, session] = await Promise.all([api.storage.local.get(null), api.storage.session.get(null)]);
    return JSON.stringify({ local, session });
  });
}

async function callWhoami(url: string, accessToken: string): Promise<string> {
  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
  try {
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    return (result.content as { type: string; text: string }[]).map((c) => c.text).join('');
  } finally {
    await client.close();
  }
}

/** Reopens the popup and returns our store's row for a server in "Your logins". */
async function bridgeLoginRow(w: LoginWorld, serverUrl: string) {
  const popup = await w.browser.openPopup();
  const row = popup.locator(`#login-status .login-server[data-server-url="${serverUrl}"] li[data-who="bridge"]`);
  await row.waitFor({ timeout: 15_000 });
  return {
    popup,
    loggedIn: await row.getAttribute('data-logged-in'),
    refreshCapable: await row.getAttribute('data-refresh-capable'),
    text: (await row.innerText()).trim(),
  };
}

function assertNoSecrets(haystack: string, credential: StoredCredential, where: string): void {
  for (const secret of [credential.accessToken, credential.refreshToken, credential.clientSecret]) {
    if (secret) expect(haystack.includes(secret), `a secret appeared in ${where}`).toBe(false);
  }
}

describe('login end to end in Chromium', () => {
  it('stores a refresh token, refreshes through the CLI, the token calls an MCP tool, and Log out in the popup revokes it', async () => {
    world = await startLoginWorld({ googleRule: true });
    const w = world;

    const { state, text } = await authorizeInPopup(w.browser, w.mcp.url);
    expect(state, text).toBe('success');
    // The card right after Authorize says which account signed in (the provider's ID token email).
    expect(text).toContain(`Logged in to ${w.mcp.url} as demo@example.test; refresh token stored`);
    // The host also listens on the redirect URI, and would finish a login whose capture failed:
    // the extension's own log says which path delivered this one.
    const log = w.browser.consoleMessages.join('\n');
    expect(log).toMatch(/callback captured in its tab; sent to the host/);
    expect(log).not.toMatch(/completed by the host's loopback listener/);

    // The provider saw the rule's parameters on the one authorization it served.
    expect(w.provider.stats.authorizeRequests).toHaveLength(1);
    const sent = w.provider.stats.authorizeRequests[0]!.searchParams;
    expect(sent.get('access_type')).toBe('offline');
    expect(sent.get('prompt')).toBe('consent');
    expect(sent.get('resource')).toBe(w.mcp.url);

    const store = bridgeStore(w);
    const stored = await store.read(w.mcp.url);
    expect(stored?.refreshToken, 'the keychain entry has a refresh token').toBeTruthy();
    expect(stored!.issuer).toBe(w.provider.issuer);

    // The reopened popup lists the login from the host's status: logged in, refreshes, its issuer.
    const row = await bridgeLoginRow(w, w.mcp.url);
    expect(row.loggedIn, row.text).toBe('true');
    expect(row.refreshCapable, row.text).toBe('true');
    expect(row.text).toContain('Logged in, refreshes by itself');
    expect(row.text).toContain(`issuer ${w.provider.issuer}`);
    assertNoSecrets(await row.popup.content(), stored!, 'the popup');

    // No secret reached extension storage, any page's console, or the service worker's console.
    assertNoSecrets(await extensionStorageDump(w), stored!, 'extension storage');
    assertNoSecrets(w.browser.consoleMessages.join('\n'), stored!, 'the browser console');

    // Force expiry, then the CLI refreshes once and prints the new token.
    await store.write({ ...stored!, expiresAt: Date.now() - 1000 });
    const refreshesBefore = w.provider.stats.refreshRequests;
    const token = await w.cli(['token', w.mcp.url]);
    expect(token.code, token.stderr).toBe(0);
    const accessToken = token.stdout.trim();
    expect(accessToken).not.toBe(stored!.accessToken);
    expect(w.provider.stats.refreshRequests).toBe(refreshesBefore + 1);
    const afterRefresh = await store.read(w.mcp.url);
    expect(afterRefresh!.accessToken).toBe(accessToken);
    expect(afterRefresh!.refreshToken, 'Google sends no new refresh token; the old one is kept').toBe(stored!.refreshToken);
    expect(afterRefresh!.expiresAt).toBeGreaterThan(Date.now());

    // A second call does not refresh again: the token is still valid.
    const again = await w.cli(['token', w.mcp.url]);
    expect(again.stdout.trim()).toBe(accessToken);
    expect(w.provider.stats.refreshRequests).toBe(refreshesBefore + 1);

    const toolCallsBefore = w.mcp.stats.toolCalls;
    expect(await callWhoami(w.mcp.url, accessToken)).toContain('demo-user');
    expect(w.mcp.stats.toolCalls).toBe(toolCallsBefore + 1);

    // status shows it, refresh-capable, and never prints a token.
    const status = await w.cli(['status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).credentials).toEqual([expect.objectContaining({ serverUrl: w.mcp.url, refreshCapable: true })]);
    assertNoSecrets(status.stdout, afterRefresh!, 'status --json');

    // "Log out" in the popup, confirmed: the real host revokes the login at the provider and
    // removes the keychain entry; the popup says so.
    const revokedBefore = w.provider.stats.grantsRevoked;
    const popup = await w.browser.openPopup();
    await popup.getByRole('button', { name: `Log out of ${w.mcp.url}` }).click();
    await popup.getByRole('button', { name: `Confirm: log out of ${w.mcp.url}` }).click();
    await popup.waitForFunction(() => document.querySelector('#logins-notice')?.textContent !== '', undefined, { timeout: 15_000 });
    // The fixture's JWT access tokens cannot be revoked: the notice says that one stays valid.
    expect(await popup.textContent('#logins-notice')).toBe(`Logged out of ${w.mcp.url}. Revoked at the provider; it cannot revoke the access token, which stays valid until it expires.`);
    expect(await store.read(w.mcp.url)).toBeUndefined();
    expect(w.provider.stats.grantsRevoked).toBeGreaterThan(revokedBefore);
    expect((await w.cli(['token', w.mcp.url])).code).toBe(4);
  });

  it('without the Google rule: no refresh token, the popup says which rule would fix it, and the rule added from there makes the next popup login refresh-capable', async () => {
    world = await startLoginWorld({ googleRule: false });
    const w = world;

    const { popup, state, text } = await authorizeInPopup(w.browser, w.mcp.url);
    expect(state, text).toBe('warning');
    expect(text).toMatch(/no refresh token/i);
    // The rule that would fix it is one click away: "Add this rule" opens the options form with
    // the provider's origin and Google's parameters filled in.
    const providerOrigin = new URL(w.provider.issuer).origin;
    const href = await popup.getByRole('link', { name: `Add a refresh-token rule for ${providerOrigin}` }).getAttribute('href');
    expect(href).toBe(`options.html?addRuleFor=${encodeURIComponent(providerOrigin)}`);
    const options = await w.browser.context.newPage();
    await options.goto(`chrome-extension://${w.browser.extensionId}/${href}`);
    await options.waitForSelector('#prefill-note:not([hidden])');
    expect(await options.inputValue('#rule-origin')).toBe(providerOrigin);
    expect(await options.inputValue('#rule-params')).toContain('access_type=offline');
    // Added as it was filled in, with one click.
    const ruleId = await options.inputValue('#rule-id');
    expect(ruleId).not.toBe('');
    await options.click('#add');
    await options.waitForSelector(`#rules tbody tr[data-rule-id="${ruleId}"]`);
    await options.close();

    expect(w.provider.stats.authorizeRequests[0]!.searchParams.has('access_type')).toBe(false);
    const stored = await bridgeStore(w).read(w.mcp.url);
    expect(stored).toBeDefined();
    expect(stored!.refreshToken).toBeUndefined();

    // The reopened popup says the login will not last, and why.
    const row = await bridgeLoginRow(w, w.mcp.url);
    expect(row.loggedIn, row.text).toBe('true');
    expect(row.refreshCapable, row.text).toBe('false');
    expect(row.text).toContain('Logged in, does NOT refresh');
    expect(row.text).toMatch(/Why: no refresh token was issued at login: the provider needs a rule/);
    expect(row.text).toContain(`issuer ${w.provider.issuer}`);

    // Once the access token is gone, the CLI says to log in again (exit 4), without a token.
    await bridgeStore(w).write({ ...stored!, expiresAt: Date.now() - 1000 });
    const token = await w.cli(['token', w.mcp.url]);
    expect(token.code).toBe(4);
    expect(token.stdout).toBe('');
    expect(token.stderr).toMatch(/login/);

    // The rule the popup pointed at fixes the popup's own login: logging in again gets a refresh token.
    await row.popup.close();
    const again = await authorizeInPopup(w.browser, w.mcp.url);
    expect(again.state, again.text).toBe('success');
    expect(again.text).toContain('refresh token stored');
    expect(w.provider.stats.authorizeRequests.at(-1)!.searchParams.get('access_type')).toBe('offline');
    expect((await bridgeStore(w).read(w.mcp.url))?.refreshToken).toBeTruthy();
  });

  it("a login finished outside this browser (the host's loopback listener completed it) shows its real result, not 'expired'", async () => {
    world = await startLoginWorld({ googleRule: true });
    const w = world;
    // The extension's login tab never reaches the provider: as if the user copied the sign-in to
    // another browser. A session rule of the test's own blocks the tab's authorize request.
    const authPattern = `^${w.provider.issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/auth\\?`;
    await w.browser.serviceWorker.evaluate(
      (regexFilter) =>
        (globalThis as any).chrome.declarativeNetRequest.updateSessionRules({
          addRules: [{ id: 990, priority: 1000, action: { type: 'block' }, condition: { regexFilter, resourceTypes: ['main_frame'] } }],
        }),
      authPattern,
    );
    const popup = await w.browser.openPopup();
    await popup.locator('#server-url').fill(w.mcp.url);
    await popup.locator('#authorize').click();
    await popup.locator('#result[data-state="pending"]', { hasText: 'Waiting for you to sign in' }).waitFor({ timeout: 30_000 });
    // The authorize URL, from the blocked tab.
    let authorizeUrl: string | undefined;
    for (let i = 0; i < 100 && !authorizeUrl; i++) {
      const urls: string[] = await w.browser.serviceWorker.evaluate(async () =>
        ((await (globalThis as any).chrome.tabs.query({})) as Array<{ url?: string; pendingUrl?: string }>).map((t) => t.url || t.pendingUrl || ''),
      );
      authorizeUrl = urls.find((u) => u.startsWith(`${w.provider.issuer}/auth?`));
      if (!authorizeUrl) await new Promise((r) => setTimeout(r, 100));
    }
    expect(authorizeUrl, 'the login tab went to the provider').toBeDefined();
    expect(w.provider.stats.authorizeRequests).toHaveLength(0);

    // "The other browser": signs in and delivers the callback to the host's loopback listener.
    const redirectUri = new URL(authorizeUrl!).searchParams.get('redirect_uri')!;
    const { callback } = await followToCallback(authorizeUrl!, redirectUri);
    const page = await fetch(callback);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Logged in');

    // The extension learns it from the host and the popup shows the real result.
    const result = popup.locator('#result:is([data-state="success"], [data-state="warning"], [data-state="error"])');
    await result.waitFor({ timeout: 15_000 });
    const text = (await result.innerText()).trim();
    expect(await result.getAttribute('data-state'), text).toBe('success');
    expect(text).toContain(`Logged in to ${w.mcp.url}`);
    expect(text).not.toMatch(/expired/i);

    const stored = await bridgeStore(w).read(w.mcp.url);
    expect(stored?.refreshToken).toBeTruthy();
    const storage = await extensionStorageDump(w);
    assertNoSecrets(storage, stored!, 'extension storage');
    for (const secret of [callback.searchParams.get('code')!, callback.searchParams.get('state')!]) {
      expect(storage.includes(secret), 'the code or state appeared in extension storage').toBe(false);
      expect(w.browser.consoleMessages.join('\n').includes(secret), 'the code or state appeared in the console').toBe(false);
    }
    expect(w.browser.consoleMessages.join('\n')).toContain("completed by the host's loopback listener (success)");
  });

  it('a second Authorize while the sign-in waits focuses its tab (no second tab); closing the tab ends it, also for a popup opened later', async () => {
    world = await startLoginWorld({ googleRule: true });
    const w = world;
    // The sign-in tab stays at the provider: a session rule of the test's own blocks its request,
    // as a user who has not signed in yet.
    const authPattern = `^${w.provider.issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/auth\\?`;
    await w.browser.serviceWorker.evaluate(
      (regexFilter) =>
        (globalThis as any).chrome.declarativeNetRequest.updateSessionRules({
          addRules: [{ id: 991, priority: 1000, action: { type: 'block' }, condition: { regexFilter, resourceTypes: ['main_frame'] } }],
        }),
      authPattern,
    );
    const signInTabs = async (): Promise<number[]> =>
      w.browser.serviceWorker.evaluate(async (issuer) => {
        const tabs = (await (globalThis as any).chrome.tabs.query({})) as Array<{ id: number; url?: string; pendingUrl?: string }>;
        return tabs.filter((t) => (t.url || t.pendingUrl || '').startsWith(`${issuer}/auth?`)).map((t) => t.id);
      }, w.provider.issuer);
    const waitForSignInTabs = async (count: number) => {
      for (let i = 0; i < 150 && (await signInTabs()).length !== count; i++) await new Promise((r) => setTimeout(r, 100));
      return signInTabs();
    };

    const first = await w.browser.openPopup();
    await first.locator('#server-url').fill(w.mcp.url);
    await first.locator('#authorize').click();
    await first.locator('#result[data-state="pending"]', { hasText: 'Waiting for you to sign in' }).waitFor({ timeout: 30_000 });
    const [tabId] = await waitForSignInTabs(1);
    expect(tabId, 'the sign-in tab went to the provider').toBeDefined();
    await first.close();

    // A second click, from a popup opened again, as a user who lost the tab would.
    const second = await w.browser.openPopup();
    await second.locator('#server-url').fill(w.mcp.url);
    await second.locator('#authorize').click();
    await second.locator('#result[data-state="pending"]', { hasText: 'already open; finish it in that tab' }).waitFor({ timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(await signInTabs()).toEqual([tabId]);
    await second.locator('#login-status', { hasText: '1 sign-in waiting in a tab.' }).waitFor({ timeout: 15_000 });
    await second.close();

    // The user closes the sign-in tab: the login is over, and a popup opened later says so.
    await w.browser.serviceWorker.evaluate((id) => (globalThis as any).chrome.tabs.remove(id), tabId!);
    expect(await waitForSignInTabs(0)).toEqual([]);
    const later = await w.browser.openPopup();
    await later.locator('#result[data-state="error"]', { hasText: 'was closed before the login finished' }).waitFor({ timeout: 15_000 });
    await later.waitForSelector('#login-status:not([data-state="loading"])');
    expect(await later.textContent('#login-status')).not.toMatch(/waiting in a tab|in progress/);
    expect(await later.textContent('.result-message')).not.toMatch(/FlowCancelled|Extension error/);
    expect(w.provider.stats.authorizeRequests).toHaveLength(0);
  });
});

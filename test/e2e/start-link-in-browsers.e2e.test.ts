/**
 * The start link of a CLI login (native-host/oauth/launch-links.ts) in a real Chromium and a real
 * Firefox ESR (the default browser of many Linux desktops), with the provider on another site, as
 * Google is: the cookie the start link sets on 127.0.0.1 must come
 * back with the callback after the provider's cross-site redirect (SameSite=Lax allows a top-level
 * GET). The listener is the real one; the login behind it is a stub that records what it is given.
 * `idp.test` resolves to 127.0.0.1 only inside the browsers (Chromium's --host-resolver-rules,
 * Firefox's network.dns.localDomains).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompleteResult } from '../../shared/protocol';
import { LoopbackListener } from '../../native-host/oauth/loopback-listener';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_PATH, TEST_HOSTS_ARG } from '../fixtures/browser-harness';
import { launchFirefoxWithAddon, until } from '../fixtures/firefox-harness';

let browser: Browser;
let provider: Server;
let providerOrigin: string;
/** Where the provider sends the browser back to: set per test (the listener's callback). */
let redirectTo = '';

beforeAll(async () => {
  // A provider with a consent page: the user's click posts a form, and the provider answers with
  // a redirect to the callback. That navigation is initiated by the provider's site, so it is a
  // cross-site one for 127.0.0.1 (a SameSite=Strict cookie would not be sent; Lax is).
  provider = createServer((req, res) => {
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const state = new URLSearchParams(body).get('state') ?? '';
        res.writeHead(302, { location: `${redirectTo}?code=CODE&state=${encodeURIComponent(state)}` }).end();
      });
      return;
    }
    const state = new URL(req.url ?? '/', 'http://idp.test').searchParams.get('state') ?? '';
    res.writeHead(200, { 'content-type': 'text/html' }).end(
      `<!doctype html><title>Consent</title><form method="post" action="/approve"><input type="hidden" name="state" value="${state.replace(/[^\w-]/g, '')}"><button id="allow">Allow</button></form>`,
    );
  });
  await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
  providerOrigin = `http://idp.test:${(provider.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [TEST_HOSTS_ARG, '--disable-gpu', '--disable-background-networking', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
    timeout: 30_000,
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  provider?.closeAllConnections();
  await new Promise((r) => provider?.close(r));
});

function listenerRecording(options: ConstructorParameters<typeof LoopbackListener>[0] = {}) {
  const listener = new LoopbackListener(options);
  const callbacks: string[] = [];
  const calledOff: string[] = [];
  listener.onCallback = async (url) => {
    callbacks.push(url);
    return { serverUrl: 'https://mcp.example/mcp', refreshCapable: true } as CompleteResult;
  };
  listener.onCallOff = (_state, error) => calledOff.push(error.name + ':' + error.message);
  return { listener, callbacks, calledOff };
}

describe('a CLI login\'s start link in Chromium', () => {
  it("carries its cookie through the provider's cross-site redirect to the callback (and, where visitors cannot be told apart, the link works once)", async () => {
    // As on macOS: the kernel does not say who connects, so the cookie and the one-time link are all there is.
    const { listener, callbacks, calledOff } = listenerRecording({ peerUid: async () => undefined });
    try {
      redirectTo = await listener.redirectUri();
      const link = await listener.launchUrl('STATE-1', `${providerOrigin}/authorize?state=STATE-1`);
      const page = await browser.newPage();
      await page.goto(link);
      expect(await page.title()).toBe('Consent');
      await Promise.all([page.waitForURL(`${redirectTo}?**`), page.click('#allow')]);
      expect(await page.textContent('h1')).toBe('Logged in');
      expect(callbacks).toEqual([`${redirectTo}?code=CODE&state=STATE-1`]);
      expect(calledOff).toEqual([]);
      // The start link is spent: the same browser opening it again calls the login off.
      await page.goto(link);
      expect(await page.textContent('h1')).toBe('Login called off');
      await page.close();
    } finally {
      await listener.close();
    }
  });

  it('refuses the callback in a browser profile that did not open the link', async () => {
    const { listener, callbacks } = listenerRecording({ peerUid: async () => undefined });
    try {
      redirectTo = await listener.redirectUri();
      const link = await listener.launchUrl('STATE-2', `${providerOrigin}/authorize?state=STATE-2`);
      const opener = await browser.newContext();
      const other = await browser.newContext(); // its own cookie jar, as another browser has
      const start = await opener.request.get(link, { maxRedirects: 0 });
      expect(start.status()).toBe(302);
      const page = await other.newPage();
      await page.goto(start.headers().location!);
      await Promise.all([page.waitForURL(`${redirectTo}?**`), page.click('#allow')]);
      expect(await page.textContent('h1')).toBe('Login failed');
      expect(callbacks).toEqual([]);
      await Promise.all([opener.close(), other.close()]);
    } finally {
      await listener.close();
    }
  });
});

describe("a CLI login's start link in Firefox ESR", () => {
  it("carries its cookie through the provider's cross-site redirect to the callback", async () => {
    const home = mkdtempSync(join(tmpdir(), 'mlb-firefox-start-'));
    // The add-on the harness loads plays no part here (no host: HOME has no manifest).
    const firefox = await launchFirefoxWithAddon({ env: { HOME: home }, prefs: { 'network.dns.localDomains': 'idp.test', 'dom.security.https_first': false } });
    const { listener, callbacks, calledOff } = listenerRecording();
    try {
      redirectTo = await listener.redirectUri();
      const link = await listener.launchUrl('STATE-3', `${providerOrigin}/authorize?state=STATE-3`);
      const tab = await firefox.bidi.openTab(link);
      const title = () => firefox.bidi.evaluate(tab, 'document.readyState === "complete" ? document.title : ""').catch(() => '');
      await until(async () => (await title()) === 'Consent', 'the consent page', 15_000);
      await firefox.bidi.clickAsUser(tab, '#allow');
      await until(async () => (await title()) !== 'Consent' && (await title()) !== '', 'the callback page', 15_000);
      expect(await firefox.bidi.evaluate(tab, "document.querySelector('h1').textContent")).toBe('Logged in');
      expect(callbacks).toEqual([`${redirectTo}?code=CODE&state=STATE-3`]);
      expect(calledOff).toEqual([]);
    } finally {
      await listener.close();
      await firefox.close();
      rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});

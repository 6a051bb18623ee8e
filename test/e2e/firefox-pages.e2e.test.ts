/**
 * The extension's pages as people see them in real Firefox ESR with the built MV3 add-on, with the
 * checks of ui-screenshots.e2e.test.ts (Chromium): no text overflows its box, no word is split
 * across lines, every control has an accessible name. The main states only, light and dark: the
 * popup on first run (no host), waiting for a sign-in, logged in with an account, without a
 * refresh token, with several logins (and their Log out step) and after an error; the callback
 * page opened directly; the options page at 1000 px and its prefilled "Add this rule" form. Screenshots go
 * to test-results/screenshots/firefox-*.png (a CI artifact).
 *
 * Firefox is driven over WebDriver BiDi (firefox-harness.ts). This Firefox's BiDi has no
 * colour-scheme emulation, so dark mode is Firefox's own content override pref, set in its chrome
 * context before each page opens (a page takes the scheme as it loads). The results are the
 * background's own summaries (page-states.ts) put into storage.session from an extension page;
 * "Your logins" comes from the stub host, registered only after the first-run tests: until then
 * Firefox finds no host manifest, as on a machine where `install` was never run.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULTS_STORAGE_KEY } from '../../extension/lib/ui/result-history';
import type { ResultSummary } from '../../extension/lib/ui/result-summary';
import { launchFirefoxWithAddon, until, type FirefoxHarness } from '../fixtures/firefox-harness';
import { firefoxHostManifest, writeStubStatusHost, type StubStatusHost } from '../fixtures/stub-status-host';
import { CLEAN_LAYOUT, SCREENSHOTS_DIR, inspectLayout, type LayoutReport } from './page-layout';
import { ACTIVITY, ACTIVITY_ROWS, HEADLINES, OPTIONS_STORAGE, RESULTS, SCHEMES, SERVER, STATUS, seedActivity, type Scheme } from './page-states';

/** The popup states shown here (ui-screenshots shows them all in Chromium, the empty one too). */
const POPUP_STATES = ['waiting', 'success', 'no-refresh-token', 'several-logins', 'error'] as const;

let dir: string;
let home: string;
let stub: StubStatusHost;
let firefox: FirefoxHarness;
/** An extension page kept open to write the add-on's storage from. */
let storageTab: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlb-firefox-pages-'));
  home = join(dir, 'home');
  await mkdir(home);
  stub = await writeStubStatusHost(dir, STATUS.empty!);
  firefox = await launchFirefoxWithAddon({ env: { HOME: home } });
  storageTab = await firefox.bidi.openTab(`${firefox.extensionOrigin}/callback.html`);
  await waitFor(storageTab, `document.readyState === 'complete' && typeof browser === 'object'`, 'an extension page to write storage from');
}, 90_000);

afterAll(async () => {
  await firefox?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Waits until `expression` is true in the tab (a page that is still loading counts as false). */
async function waitFor(context: string, expression: string, what: string, timeoutMs = 15_000): Promise<void> {
  await until(async () => (await firefox.bidi.evaluate(context, `Boolean(${expression})`).catch(() => false)) === true, what, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}\n${firefox.output().slice(-2000)}`);
  });
}

async function evaluate<T>(context: string, expression: string): Promise<T> {
  return JSON.parse(String(await firefox.bidi.evaluate(context, `JSON.stringify(${expression})`))) as T;
}

/** Opens an add-on page in a new tab of the given size and colour scheme, once it has loaded. */
async function openPage(path: string, scheme: Scheme, width: number, height: number): Promise<string> {
  // 0 is dark, 1 light (Firefox's layout.css.prefers-color-scheme.content-override).
  await firefox.bidi.evaluateInBrowserWindow(`Services.prefs.setIntPref('layout.css.prefers-color-scheme.content-override', ${scheme === 'dark' ? 0 : 1})`);
  const { context } = await firefox.bidi.send('browsingContext.create', { type: 'tab' });
  await firefox.bidi.send('browsingContext.setViewport', { context, viewport: { width, height } });
  await firefox.bidi.send('browsingContext.navigate', { context, url: `${firefox.extensionOrigin}/${path}`, wait: 'complete' });
  await waitFor(context, `matchMedia('(prefers-color-scheme: ${scheme})').matches`, `the page in ${scheme} mode`);
  return context;
}

async function closePage(context: string): Promise<void> {
  await firefox.bidi.send('browsingContext.close', { context });
}

async function openPopup(scheme: Scheme): Promise<string> {
  const popup = await openPage('popup.html', scheme, 420, 560);
  await waitFor(popup, `document.querySelector('#host-status:not([data-state="checking"])') && document.querySelector('#login-status:not([data-state="loading"])')`, 'the popup to hear from the host');
  return popup;
}

/** Saves the whole page as test-results/screenshots/firefox-<name>.png and runs the layout checks. */
async function check(context: string, name: string): Promise<void> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const shot = await firefox.bidi.send('browsingContext.captureScreenshot', { context, origin: 'document' });
  await writeFile(join(SCREENSHOTS_DIR, `firefox-${name}.png`), Buffer.from(shot.data as string, 'base64'));
  expect(await evaluate<LayoutReport>(context, `(${inspectLayout.toString()})()`), name).toEqual(CLEAN_LAYOUT);
}

async function setResults(results: ResultSummary[]): Promise<void> {
  await firefox.bidi.evaluate(storageTab, `browser.storage.session.set(${JSON.stringify({ [RESULTS_STORAGE_KEY]: results })})`);
}

const text = (context: string, selector: string) => evaluate<string | null>(context, `document.querySelector(${JSON.stringify(selector)})?.textContent ?? null`);

describe('popup in Firefox, before the host is installed', () => {
  for (const scheme of SCHEMES) {
    it(`host missing (${scheme}): one banner with the install command for Firefox, Authorize disabled`, async () => {
      await setResults([]);
      const popup = await openPopup(scheme);
      try {
        await waitFor(popup, `document.querySelector('#host-banner:not([hidden])')`, 'the first-run banner');
        expect(await text(popup, '#install-command')).toBe('npx mcp-login-bridge install --browser firefox');
        expect(await evaluate(popup, `document.querySelector('#authorize').disabled`)).toBe(true);
        const body = (await text(popup, 'body')) ?? '';
        expect(body.match(/mcp-login-bridge install/g)).toHaveLength(1);
        expect(body).not.toMatch(/Extension error|HostNotInstalled/);
        await check(popup, `popup-host-missing-${scheme}`);
      } finally {
        await closePage(popup);
      }
    });
  }
});

describe('popup in Firefox with a host', () => {
  beforeAll(async () => {
    await firefoxHostManifest(home, stub.launcher);
  });

  for (const scheme of SCHEMES) {
    for (const state of POPUP_STATES) {
      it(`${state} (${scheme})`, async () => {
        await stub.setStatus(STATUS[state]!);
        await setResults(RESULTS[state]!);
        const popup = await openPopup(scheme);
        try {
          expect(await evaluate(popup, `document.querySelector('#host-banner').hidden`)).toBe(true);
          expect(await evaluate(popup, `document.querySelector('#authorize').disabled`)).toBe(false);
          // No internal code as a headline; a code only on its details line.
          const headline = (await text(popup, '.result-message')) ?? '';
          expect(headline).not.toMatch(/Host (error|warning) \d|Extension error/);
          if (HEADLINES[state]) expect(headline).toContain(HEADLINES[state]);
          // People see local time ("09:48 AM"), never ISO 8601 with milliseconds.
          expect((await text(popup, 'body')) ?? '').not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
          // "Your logins" lists the host's logins with their accounts.
          const accounts = await evaluate<string[]>(popup, `[...document.querySelectorAll('.login-account')].map((e) => e.textContent)`);
          expect(accounts.sort()).toEqual(STATUS[state]!.credentials.map((c) => `Account: ${c.account}`).sort());
          if (state === 'no-refresh-token') {
            // "Add this rule" links to the options form, filled in for the provider.
            const links = await evaluate<string[]>(popup, `[...document.querySelectorAll('a[href^="options.html?addRuleFor="]')].map((a) => a.getAttribute('href'))`);
            expect(links).toEqual([`options.html?addRuleFor=${encodeURIComponent('https://accounts.google.com')}`]);
          }
          await check(popup, `popup-${state}-${scheme}`);
        } finally {
          await closePage(popup);
        }
      });
    }
  }
});

describe('popup in Firefox: per-server actions in "Your logins"', () => {
  it('"Log out" asks first, then removes the login and says what was revoked; "Log in again" and "Copy helper command" are there per login', async () => {
    const DRIVE = 'https://drive.example.com/mcp';
    await stub.setStatus(STATUS['several-logins']!);
    await rm(stub.logoutLog, { force: true });
    await setResults([]);
    const popup = await openPopup('light');
    const click = (label: string) => firefox.bidi.evaluate(popup, `document.querySelector(${JSON.stringify(`button[aria-label="${label}"]`)}).click()`);
    const buttonsOf = (url: string) =>
      evaluate<string[]>(popup, `[...[...document.querySelectorAll('.login-server')].find((b) => b.dataset.serverUrl === ${JSON.stringify(url)}).querySelectorAll('button')].map((b) => b.textContent)`);
    try {
      expect(await buttonsOf(SERVER)).toEqual(['Log in again', 'Copy helper command', 'Log out']);
      await click(`Log out of ${DRIVE}`);
      await waitFor(popup, `document.querySelector('.login-confirm-text')`, 'the confirm step');
      expect(await text(popup, '.login-confirm-text')).toBe(`Log out of ${DRIVE}? The login is removed from this bridge and revoked at the provider.`);
      expect(await evaluate(popup, `document.activeElement?.getAttribute('aria-label')`)).toBe(`Confirm: log out of ${DRIVE}`);
      expect(existsSync(stub.logoutLog)).toBe(false);
      await check(popup, 'popup-logout-confirm-light');

      await click(`Confirm: log out of ${DRIVE}`);
      await waitFor(popup, `document.querySelector('#logins-notice')?.textContent`, 'the logout outcome');
      expect(await text(popup, '#logins-notice')).toBe(`Logged out of ${DRIVE}. Revoked at the provider.`);
      expect(await readFile(stub.logoutLog, 'utf8')).toBe(`${DRIVE}\n`);
    } finally {
      await closePage(popup);
    }
  });
});

describe('callback page in Firefox', () => {
  for (const scheme of SCHEMES) {
    it(`opened directly (${scheme}): the last result is named as past, not shown as new`, async () => {
      await setResults(RESULTS.success!);
      const page = await openPage('callback.html', scheme, 800, 400);
      try {
        await waitFor(page, `document.querySelector('#result[data-state="idle"]')`, 'the callback page to show it has nothing to finish');
        expect(await text(page, '.result-message')).toBe('Nothing to finish on this page. Start a login from the extension popup.');
        expect(await text(page, '.result-details')).toMatch(/^Last login attempt \(.+\): Logged in to/);
        await check(page, `callback-direct-${scheme}`);
      } finally {
        await closePage(page);
      }
    });
  }
});

describe('options page in Firefox', () => {
  beforeAll(async () => {
    await firefox.bidi.evaluate(storageTab, `browser.storage.local.set(${JSON.stringify(OPTIONS_STORAGE)})`);
    await firefox.bidi.evaluate(storageTab, `(${seedActivity.toString()})(${JSON.stringify(ACTIVITY)})`);
  });

  for (const scheme of SCHEMES) {
    it(`at 1000 px (${scheme}): rules, the add form, the activity`, async () => {
      const page = await openPage('options.html', scheme, 1000, 800);
      try {
        await waitFor(page, `document.querySelector('#rules tbody tr[data-rule-id="corp-sso"]') && document.querySelector('#activity-table tbody tr')`, 'the rules and the activity');
        expect(await text(page, '#rules')).toContain('Host config');
        const rows = await evaluate<string[]>(page, `[...document.querySelectorAll('#activity-table tbody tr')].map((r) => r.innerText)`);
        expect(rows).toHaveLength(ACTIVITY.length);
        ACTIVITY_ROWS.forEach((facts, i) => facts.forEach((fact) => expect(rows[i]).toContain(fact)));
        expect(await evaluate(page, `document.querySelectorAll('[placeholder]').length`)).toBe(0);
        await check(page, `options-${scheme}`);
      } finally {
        await closePage(page);
      }
    });
  }

  it('"Add this rule" opens the form filled in; a wrong field is marked, described and focused', async () => {
    const page = await openPage(`options.html?addRuleFor=${encodeURIComponent('https://accounts.example.com')}`, 'light', 1000, 800);
    try {
      await waitFor(page, `document.querySelector('#prefill-note:not([hidden])')`, 'the prefilled form');
      expect(await evaluate(page, `document.querySelector('#rule-origin').value`)).toBe('https://accounts.example.com');
      expect(await evaluate(page, `document.querySelector('#rule-params').value`)).toBe('access_type=offline\nprompt=consent');
      expect(await evaluate(page, `document.activeElement?.id`)).toBe('add');
      await check(page, 'options-prefilled-light');

      await firefox.bidi.evaluate(page, `(() => { const o = document.querySelector('#rule-origin'); o.value = 'https://accounts.example.com/path'; o.dispatchEvent(new Event('input', { bubbles: true })); document.querySelector('#add').click(); })()`);
      await waitFor(page, `document.querySelector('#rule-origin[aria-invalid="true"]')`, 'the field marked invalid');
      expect(await evaluate(page, `document.activeElement?.id`)).toBe('rule-origin');
      expect(await text(page, '#rule-origin-error')).toContain('must have no path');
      expect(await evaluate(page, `document.querySelector('#rule-origin').getAttribute('aria-describedby')`)).toContain('rule-origin-error');
      expect(await text(page, '#add-status')).toBe('Not saved: check Provider origin.');
      await check(page, 'options-field-error-light');
    } finally {
      await closePage(page);
    }
  });
});

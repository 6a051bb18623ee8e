/**
 * The extension's pages as people see them, in real Chromium with the built extension: the popup
 * in each state (first run without a host, empty, waiting, logged in, no refresh token, several
 * logins), the callback page and the options page, in light and dark. Each is saved under
 * test-results/screenshots/ (a CI artifact) and checked: no text overflows its box, no word is
 * split across lines, every control has an accessible name.
 *
 * The results are the background's own summaries (page-states.ts) put into storage.session; "Your
 * logins" comes from a stub host whose `status` answer the test sets before each state.
 * firefox-pages.e2e.test.ts shows the main states in Firefox with the same checks.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULTS_STORAGE_KEY } from '../../extension/lib/ui/result-history';
import type { ResultSummary } from '../../extension/lib/ui/result-summary';
import { ensureExtensionBuilt, launchBrowserWithExtension, type BrowserHarness } from '../fixtures/browser-harness';
import { chromiumHostManifest, writeStubStatusHost, type StubStatusHost } from '../fixtures/stub-status-host';
import { CLEAN_LAYOUT, SCREENSHOTS_DIR, inspectLayout } from './page-layout';
import { ACTIVITY, ACTIVITY_ROWS, HEADLINES, OPTIONS_STORAGE, RESULTS, SCHEMES, SERVER, STATUS, seedActivity, type Scheme } from './page-states';

async function check(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
  const report = await page.evaluate(inspectLayout);
  expect(report, name).toEqual(CLEAN_LAYOUT);
}

let dir: string;
let withHost: BrowserHarness;
let noHost: BrowserHarness;
let stub: StubStatusHost;

beforeAll(async () => {
  await ensureExtensionBuilt();
  dir = await mkdtemp(join(tmpdir(), 'mlb-screens-'));
  stub = await writeStubStatusHost(dir, STATUS.empty!);
  withHost = await launchBrowserWithExtension({ prepareProfile: (userDataDir) => chromiumHostManifest(userDataDir, stub.launcher) });
  noHost = await launchBrowserWithExtension({});
}, 180_000);

afterAll(async () => {
  await withHost?.close();
  await noHost?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function setResults(harness: BrowserHarness, results: ResultSummary[]): Promise<void> {
  await harness.serviceWorker.evaluate(
    ([key, value]) => (globalThis as unknown as { chrome: any }).chrome.storage.session.set({ [key as string]: value }),
    [RESULTS_STORAGE_KEY, results] as const,
  );
}

async function openPopup(harness: BrowserHarness, scheme: Scheme): Promise<Page> {
  const page = await harness.context.newPage();
  await page.setViewportSize({ width: 420, height: 560 });
  await page.emulateMedia({ colorScheme: scheme });
  await page.goto(`chrome-extension://${harness.extensionId}/popup.html`);
  await page.waitForSelector('#host-status:not([data-state="checking"])');
  await page.waitForSelector('#login-status:not([data-state="loading"])');
  return page;
}

describe('popup', () => {
  for (const scheme of SCHEMES) {
    it(`host missing (${scheme}): one banner with this browser's install command, Authorize disabled`, async () => {
      await setResults(noHost, []);
      const page = await openPopup(noHost, scheme);
      try {
        await page.waitForSelector('#host-banner:not([hidden])');
        expect(await page.textContent('#install-command')).toBe('npx mcp-login-bridge install --browser chromium');
        expect(await page.isDisabled('#authorize')).toBe(true);
        const text = (await page.textContent('body')) ?? '';
        expect(text.match(/mcp-login-bridge install/g)).toHaveLength(1);
        expect(text).not.toMatch(/Extension error|HostNotInstalled/);
        // The example URL is a placeholder and looks like one: not in the colour of a typed value.
        const colours = await page.evaluate(() => {
          const input = document.querySelector<HTMLInputElement>('#server-url')!;
          return { value: getComputedStyle(input).color, placeholder: getComputedStyle(input, '::placeholder').color, empty: input.value === '' };
        });
        expect(colours.empty).toBe(true);
        expect(colours.placeholder).not.toBe(colours.value);
        await check(page, `popup-host-missing-${scheme}`);
      } finally {
        await page.close();
      }
    });

    if (scheme === 'light') {
      it('host missing: Copy puts the exact install command on the clipboard and says so', async () => {
        await setResults(noHost, []);
        await noHost.context.grantPermissions(['clipboard-read', 'clipboard-write']);
        const page = await openPopup(noHost, scheme);
        try {
          await page.waitForSelector('#host-banner:not([hidden])');
          await page.getByRole('button', { name: 'Copy the install command' }).click();
          await page.waitForFunction(() => document.querySelector('#copy-install')?.textContent === 'Copied');
          expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('npx mcp-login-bridge install --browser chromium');
        } finally {
          await page.close();
        }
      });
    }

    for (const state of Object.keys(RESULTS)) {
      it(`${state} (${scheme})`, async () => {
        await stub.setStatus(STATUS[state]!);
        await setResults(withHost, RESULTS[state]!);
        const page = await openPopup(withHost, scheme);
        try {
          expect(await page.isHidden('#host-banner')).toBe(true);
          expect(await page.isEnabled('#authorize')).toBe(true);
          const text = (await page.textContent('body')) ?? '';
          // No internal code as a headline; a code only on its details line.
          expect(await page.textContent('.result-message')).not.toMatch(/Host (error|warning) \d|Extension error/);
          if (HEADLINES[state]) expect(await page.textContent('.result-message')).toContain(HEADLINES[state]);
          expect(text).not.toContain('Host warning 401');
          // People see local time ("09:48 AM"), never ISO 8601 with milliseconds.
          expect(text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
          await check(page, `popup-${state}-${scheme}`);
        } finally {
          await page.close();
        }
      });
    }
  }
});

describe('popup: per-server actions in "Your logins"', () => {
  it('shows the account of each login, and "Log out" asks first, then removes the login and says what was revoked', async () => {
    const DRIVE = 'https://drive.example.com/mcp';
    await stub.setStatus(STATUS['several-logins']!);
    await rm(stub.logoutLog, { force: true });
    await setResults(withHost, []);
    const page = await openPopup(withHost, 'light');
    try {
      const drive = page.locator('.login-server', { hasText: DRIVE });
      expect(await drive.locator('.login-account').textContent()).toBe('Account: alex.work@example.com');
      expect(await page.locator('.login-server', { hasText: SERVER }).locator('.login-account').textContent()).toBe('Account: alex@example.com');

      // First click only asks; Cancel puts the buttons back with focus on Log out, and nothing was sent.
      await page.getByRole('button', { name: `Log out of ${DRIVE}` }).click();
      expect(await drive.locator('.login-confirm-text').textContent()).toBe(`Log out of ${DRIVE}? The login is removed from this bridge and revoked at the provider.`);
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(`Confirm: log out of ${DRIVE}`);
      await check(page, 'popup-logout-confirm-light');
      await page.getByRole('button', { name: `Cancel logging out of ${DRIVE}` }).click();
      expect(await drive.getByRole('button').allTextContents()).toEqual(['Log in again', 'Copy helper command', 'Log out']);
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(`Log out of ${DRIVE}`);
      expect(existsSync(stub.logoutLog)).toBe(false);

      // Confirmed (by keyboard): one logout request for that server, the outcome said, the list asked again.
      await page.getByRole('button', { name: `Log out of ${DRIVE}` }).click();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('#logins-notice')?.textContent !== '');
      expect(await page.textContent('#logins-notice')).toBe(`Logged out of ${DRIVE}. Revoked at the provider.`);
      expect(await readFile(stub.logoutLog, 'utf8')).toBe(`${DRIVE}\n`);
      await page.waitForFunction((url) => {
        const block = [...document.querySelectorAll<HTMLElement>('.login-server')].find((b) => b.dataset.serverUrl === url);
        return block?.querySelector('.login-row[data-who="bridge"]')?.getAttribute('data-logged-in') === 'false';
      }, DRIVE);
      // Claude Code's entry for the server is the user's to remove: the server stays listed, without Log out.
      expect(await drive.getByRole('button').allTextContents()).toEqual(['Log in']);
    } finally {
      await page.close();
    }
  });

  it('"Copy helper command" copies the headers helper line; "Log in again" starts a login for that server', async () => {
    await stub.setStatus(STATUS['several-logins']!);
    await setResults(withHost, []);
    // Chromium refuses an origin for extension pages ("opaque"); granted for all.
    await withHost.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await openPopup(withHost, 'light');
    try {
      await page.getByRole('button', { name: `Copy the token helper command for ${SERVER}` }).click();
      await page.waitForFunction(() => document.body.textContent?.includes('Copied'));
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`mcp-login-bridge token ${SERVER} --headers`);
      // Logged in without a refresh token: both actions still apply.
      const calendar = page.locator('.login-server', { hasText: 'https://calendar.example.com/mcp' });
      expect(await calendar.getByRole('button').allTextContents()).toEqual(['Log in again', 'Copy helper command', 'Log out']);
      await page.getByRole('button', { name: `Log in again to ${SERVER}` }).click();
      // The stub host answers begin with an error: the login was asked for, for that server.
      await page.waitForSelector('#result[data-state="error"]');
      expect(await page.inputValue('#server-url')).toBe(SERVER);
      expect(await page.textContent('#result')).toContain('Stub: unknown type');
    } finally {
      await page.close();
    }
  });
});

describe('callback page', () => {
  for (const scheme of SCHEMES) {
    it(`opened directly (${scheme}): the last result is named as past, not shown as new`, async () => {
      await setResults(withHost, RESULTS.success!);
      const page = await withHost.context.newPage();
      await page.setViewportSize({ width: 800, height: 400 });
      await page.emulateMedia({ colorScheme: scheme });
      try {
        await page.goto(`chrome-extension://${withHost.extensionId}/callback.html`);
        await page.waitForSelector('#result[data-state="idle"]');
        expect(await page.textContent('.result-message')).toBe('Nothing to finish on this page. Start a login from the extension popup.');
        expect(await page.textContent('.result-details')).toMatch(/^Last login attempt \(.+\): Logged in to/);
        await check(page, `callback-direct-${scheme}`);
      } finally {
        await page.close();
      }
    });
  }
});

describe('options page', () => {
  beforeAll(async () => {
    await withHost.serviceWorker.evaluate(
      (items) => (globalThis as unknown as { chrome: any }).chrome.storage.local.set(items),
      OPTIONS_STORAGE,
    );
  });

  for (const scheme of SCHEMES) {
    it(`at 1000 px (${scheme}): rules, the add form, the activity`, async () => {
      const page = await withHost.context.newPage();
      await page.setViewportSize({ width: 1000, height: 800 });
      await page.emulateMedia({ colorScheme: scheme });
      try {
        await page.goto(`chrome-extension://${withHost.extensionId}/options.html`);
        await page.evaluate(seedActivity, ACTIVITY);
        await page.reload();
        await page.waitForSelector('#rules tbody tr[data-rule-id="corp-sso"]');
        await page.waitForSelector('#activity-table tbody tr');
        expect(await page.textContent('#rules')).toContain('Host config');
        const rows = await page.locator('#activity-table tbody tr').allInnerTexts();
        expect(rows).toHaveLength(ACTIVITY_ROWS.length);
        ACTIVITY_ROWS.forEach((facts, i) => facts.forEach((fact) => expect(rows[i]).toContain(fact)));
        // Fields explain themselves with hints, not with placeholders that read as values.
        expect(await page.locator('[placeholder]').count()).toBe(0);
        await check(page, `options-${scheme}`);
      } finally {
        await page.close();
      }
    });
  }

  it('"Add this rule" opens the form filled in; a wrong field is marked, described and focused', async () => {
    const page = await withHost.context.newPage();
    await page.setViewportSize({ width: 1000, height: 800 });
    try {
      await page.goto(`chrome-extension://${withHost.extensionId}/options.html?addRuleFor=${encodeURIComponent('https://accounts.example.com')}`);
      await page.waitForSelector('#prefill-note:not([hidden])');
      expect(await page.inputValue('#rule-origin')).toBe('https://accounts.example.com');
      expect(await page.inputValue('#rule-params')).toBe('access_type=offline\nprompt=consent');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('add');
      await check(page, 'options-prefilled-light');

      await page.fill('#rule-origin', 'https://accounts.example.com/path');
      await page.click('#add');
      await page.waitForSelector('#rule-origin[aria-invalid="true"]');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('rule-origin');
      expect(await page.textContent('#rule-origin-error')).toContain('must have no path');
      expect(await page.getAttribute('#rule-origin', 'aria-describedby')).toContain('rule-origin-error');
      expect(await page.textContent('#add-status')).toBe('Not saved: check Provider origin.');
      await check(page, 'options-field-error-light');
    } finally {
      await page.close();
    }
  });

  it('the popup\'s "Add this rule" links to the prefilled form', async () => {
    await stub.setStatus(STATUS['no-refresh-token']!);
    await setResults(withHost, RESULTS['no-refresh-token']!);
    const page = await openPopup(withHost, 'light');
    try {
      const link = page.getByRole('link', { name: 'Add a refresh-token rule for https://accounts.google.com' });
      expect(await link.getAttribute('href')).toBe(`options.html?addRuleFor=${encodeURIComponent('https://accounts.google.com')}`);
    } finally {
      await page.close();
    }
  });
});

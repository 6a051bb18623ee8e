/**
 * The extension's pages as people see them, in real Chromium with the built extension: the popup
 * in each state (first run without a host, empty, waiting, logged in, no refresh token, several
 * logins), the callback page and the options page, in light and dark. Each is saved under
 * test-results/screenshots/ (a CI artifact) and checked: no text overflows its box, no word is
 * split across lines, every control has an accessible name.
 *
 * The results are the background's own summaries (built with result-summary.ts, as the background
 * builds them) put into storage.session; "Your logins" comes from a stub host whose `status`
 * answer the test sets before each state.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_EXTENSION_ID, NATIVE_HOST_NAME } from '../../shared/constants';
import type { CompleteResult, StatusResult } from '../../shared/protocol';
import { RESULTS_STORAGE_KEY } from '../../extension/lib/ui/result-history';
import { completedSummary, errorSummary, waitingForSignInSummary, type ResultSummary } from '../../extension/lib/ui/result-summary';
import { REPO_ROOT, ensureExtensionBuilt, launchBrowserWithExtension, type BrowserHarness } from '../fixtures/browser-harness';

const OUT = join(REPO_ROOT, 'test-results', 'screenshots');
const SCHEMES = ['light', 'dark'] as const;
const NOW = Date.now();
const HOUR = 3_600_000;

/** What a page looks like to the three checks; computed in the page. */
interface LayoutReport {
  overflowing: string[];
  splitWords: string[];
  unnamed: string[];
}

/** Runs in the page: boxes whose text is wider than they are, words broken across lines, controls without a name. */
function inspectLayout(): LayoutReport {
  const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''}: ${(el.textContent ?? '').trim().slice(0, 60)}`;
  const visible = (el: Element) => {
    const r = el.getBoundingClientRect();
    // 1 px boxes are visually hidden text for screen readers (clipped on purpose).
    return r.width > 1 && r.height > 1 && getComputedStyle(el).visibility !== 'hidden';
  };
  const overflowing: string[] = [];
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (!visible(el) || style.display === 'inline' || ['auto', 'scroll'].includes(style.overflowX)) continue;
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) overflowing.push(`${describe(el)} (${el.scrollWidth} > ${el.clientWidth})`);
  }
  // A word whose characters land on two lines: its range has rects at two different heights.
  const splitWords: string[] = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent ?? '';
    if (!node.parentElement || !visible(node.parentElement)) continue;
    for (const m of text.matchAll(/[A-Za-z0-9]{2,}/g)) {
      const range = document.createRange();
      range.setStart(node, m.index!);
      range.setEnd(node, m.index! + m[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) splitWords.push(`"${m[0]}" in ${describe(node.parentElement)}`);
    }
  }
  // The accessible name as assistive technology computes it, for the cases these pages use.
  const nameOf = (el: Element): string => {
    const labelledBy = el.getAttribute('aria-labelledby');
    if (labelledBy) return labelledBy.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
    const aria = el.getAttribute('aria-label');
    if (aria?.trim()) return aria.trim();
    if (el.id) {
      const label = document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
      if (label?.textContent?.trim()) return label.textContent.trim();
    }
    const wrapping = el.closest('label');
    if (wrapping?.textContent?.trim()) return wrapping.textContent.trim();
    if (el.matches('button, a, summary, [role="button"]')) return (el.textContent ?? '').trim() || (el.getAttribute('title') ?? '').trim();
    return (el.getAttribute('title') ?? '').trim();
  };
  const unnamed = [...document.querySelectorAll('button, input, select, textarea, a[href], summary, [role="button"]')]
    .filter((el) => visible(el) && !nameOf(el))
    .map(describe);
  return { overflowing, splitWords, unnamed };
}

async function check(page: Page, name: string): Promise<void> {
  await mkdir(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  const report = await page.evaluate(inspectLayout);
  expect(report, name).toEqual({ overflowing: [], splitWords: [], unnamed: [] });
}

const SERVER = 'https://mail.example.com/mcp';
const ISSUER = 'https://accounts.google.com';
const b = (flowId: string, serverUrl: string, startedAt: number) => ({ flowId, serverUrl, startedAt, now: startedAt });
const time = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

function complete(over: Partial<CompleteResult> = {}): CompleteResult {
  return {
    serverUrl: SERVER,
    issuer: ISSUER,
    stored: [
      { target: 'bridge', location: 'keychain (mcp-login-bridge)' },
      { target: 'codex', location: 'Codex keyring', server: 'gmail' },
    ],
    refreshCapable: true,
    expiresAt: NOW + HOUR,
    scope: 'openid email',
    timings: { totalMs: 1, tokenEndpointMs: 1, storeMs: 0 },
    ...over,
  };
}

const RESULTS: Record<string, ResultSummary[]> = {
  empty: [],
  waiting: [waitingForSignInSummary({ ...b('f1', SERVER, NOW), authorizeUrl: `${ISSUER}/o/oauth2/auth`, expiresAt: NOW + 600_000 }, time)],
  // The account the provider named, as the host's `complete` carries it (the ID token's email).
  success: [completedSummary(b('f2', SERVER, NOW), complete({ account: 'alex@example.com' }), time)],
  'no-refresh-token': [
    completedSummary(
      b('f3', SERVER, NOW),
      complete({
        refreshCapable: false,
        warning: {
          code: 401,
          name: 'NoRefreshToken',
          message:
            'https://accounts.google.com issued no refresh token, so this login ends when the access token expires. No provider rule matched https://accounts.google.com. If it is Google or behaves like it, add a rule for https://accounts.google.com that adds access_type=offline and prompt=consent (in the browser extension, "Add this rule" fills it in), or add {"id":"my-provider","name":"My provider","origins":["https://accounts.google.com"],"params":{"access_type":"offline","prompt":"consent"}} to the "rules" array in /home/you/.config/mcp-login-bridge/config.json; then log in again.',
        },
      }),
      time,
      [],
    ),
  ],
  'several-logins': [completedSummary(b('f4', 'https://drive.example.com/mcp', NOW), complete({ serverUrl: 'https://drive.example.com/mcp' }), time)],
  error: [
    errorSummary(b('f5', SERVER, NOW), {
      source: 'host',
      code: 200,
      name: 'DiscoveryFailed',
      message: 'Could not read https://mail.example.com/.well-known/oauth-protected-resource: the connection was refused.',
    }),
  ],
};

/** Part of the result card's headline where a state's summary says something to check. */
const HEADLINES: Partial<Record<string, string>> = {
  success: `Logged in to ${SERVER} as alex@example.com; refresh token stored`,
  // A provider that named no account: no "as …".
  'several-logins': 'Logged in to https://drive.example.com/mcp; refresh token stored',
};

const credential = (serverUrl: string, refreshCapable = true, account = 'alex@example.com') => ({
  serverUrl,
  issuer: ISSUER,
  account,
  clientId: 'desktop-client',
  scope: 'openid email',
  expiresAt: NOW + HOUR,
  refreshCapable,
  store: 'bridge' as const,
  ...(refreshCapable ? {} : { reason: 'no refresh token was issued at login: the provider needs a rule (Google: access_type=offline, prompt=consent); log in again once it has one' }),
});

const STATUS: Record<string, StatusResult> = {
  empty: { credentials: [], clients: [], pendingFlows: 0 },
  waiting: { credentials: [], clients: [], pendingFlows: 1 },
  success: {
    credentials: [credential(SERVER)],
    clients: [{ client: 'codex', server: 'gmail', serverUrl: SERVER, loggedIn: true, refreshCapable: true, expiresAt: NOW + HOUR, issuer: ISSUER, store: 'keyring' }],
    pendingFlows: 0,
  },
  'no-refresh-token': { credentials: [credential(SERVER, false)], clients: [], pendingFlows: 0 },
  'several-logins': {
    credentials: [credential(SERVER), credential('https://drive.example.com/mcp', true, 'alex.work@example.com'), credential('https://calendar.example.com/mcp', false)],
    clients: [
      { client: 'codex', server: 'gmail', serverUrl: SERVER, loggedIn: true, refreshCapable: true, expiresAt: NOW + HOUR, issuer: ISSUER, store: 'keyring' },
      { client: 'claude-code', server: 'drive', serverUrl: 'https://drive.example.com/mcp', loggedIn: false, refreshCapable: false, expiresAt: null, reason: 'not logged in' },
    ],
    pendingFlows: 0,
  },
  error: { credentials: [], clients: [], pendingFlows: 0 },
};

let dir: string;
let withHost: BrowserHarness;
let noHost: BrowserHarness;

beforeAll(async () => {
  await ensureExtensionBuilt();
  dir = await mkdtemp(join(tmpdir(), 'mlb-screens-'));
  const statusFile = join(dir, 'status.json');
  const logoutLog = join(dir, 'logouts.log');
  await writeFile(statusFile, JSON.stringify(STATUS.empty));
  // A stub host: hello, and `status` read from a file on every request so each state sets its own.
  await writeFile(
    join(dir, 'stub-host.mjs'),
    `import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
function send(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length);
  process.stdout.write(Buffer.concat([header, body]));
}
function handle({ id, type, serverUrl }) {
  if (type === 'logout') {
    // As the real host: the entry goes, and the answer says what became of it at the provider.
    appendFileSync(${JSON.stringify(logoutLog)}, serverUrl + '\\n');
    const status = JSON.parse(readFileSync(${JSON.stringify(statusFile)}, 'utf8'));
    status.credentials = status.credentials.filter((c) => c.serverUrl !== serverUrl);
    writeFileSync(${JSON.stringify(statusFile)}, JSON.stringify(status));
    const removed = [{ target: 'bridge', location: 'keychain service "mcp-login-bridge"' }];
    return send({ id, ok: true, data: { serverUrl, removed, revocation: { status: 'revoked', tokens: ['refresh_token', 'access_token'], notRevocable: [] } } });
  }
  if (type === 'hello') return send({ id, ok: true, data: { hostVersion: '0.1.0', protocolVersion: 1, configRules: [] } });
  if (type === 'status') return send({ id, ok: true, data: JSON.parse(readFileSync(${JSON.stringify(statusFile)}, 'utf8')) });
  send({ id, ok: false, error: { code: 102, name: 'UnknownType', message: 'stub: unknown type' } });
}
let buffer = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  while (buffer.length >= 4) {
    const length = buffer.readUInt32LE(0);
    if (buffer.length < 4 + length) break;
    handle(JSON.parse(buffer.subarray(4, 4 + length).toString('utf8')));
    buffer = buffer.subarray(4 + length);
  }
});
process.stdin.on('end', () => process.exit(0));
`,
  );
  const launcher = join(dir, 'stub-host.sh');
  await writeFile(launcher, `#!/bin/sh\nexec '${process.execPath}' '${join(dir, 'stub-host.mjs')}' "$@"\n`);
  await chmod(launcher, 0o755);
  withHost = await launchBrowserWithExtension({
    prepareProfile: async (userDataDir) => {
      await mkdir(join(userDataDir, 'NativeMessagingHosts'), { recursive: true });
      await writeFile(
        join(userDataDir, 'NativeMessagingHosts', `${NATIVE_HOST_NAME}.json`),
        JSON.stringify({ name: NATIVE_HOST_NAME, description: 'stub', path: launcher, type: 'stdio', allowed_origins: [`chrome-extension://${DEV_EXTENSION_ID}/`] }),
      );
    },
  });
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

async function openPopup(harness: BrowserHarness, scheme: (typeof SCHEMES)[number]): Promise<Page> {
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
        await check(page, `popup-host-missing-${scheme}`);
      } finally {
        await page.close();
      }
    });

    for (const state of Object.keys(RESULTS)) {
      it(`${state} (${scheme})`, async () => {
        await writeFile(join(dir, 'status.json'), JSON.stringify(STATUS[state]));
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
    await writeFile(join(dir, 'status.json'), JSON.stringify(STATUS['several-logins']));
    await rm(join(dir, 'logouts.log'), { force: true });
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
      expect(existsSync(join(dir, 'logouts.log'))).toBe(false);

      // Confirmed (by keyboard): one logout request for that server, the outcome said, the list asked again.
      await page.getByRole('button', { name: `Log out of ${DRIVE}` }).click();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.querySelector('#logins-notice')?.textContent !== '');
      expect(await page.textContent('#logins-notice')).toBe(`Logged out of ${DRIVE}. Revoked at the provider.`);
      expect(await readFile(join(dir, 'logouts.log'), 'utf8')).toBe(`${DRIVE}\n`);
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
    await writeFile(join(dir, 'status.json'), JSON.stringify(STATUS['several-logins']));
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

/** Records as the background's automatic capture writes them (activity-log.ts), for the activity view. */
const ACTIVITY = [
  { id: 'c1', startedAt: NOW - 60_000, endedAt: NOW - 30_000, clientId: 'codex-cli', redirectPort: 1455, serverOrigin: 'https://accounts.google.com',
    provider: { ruleId: 'google', name: 'Google', origin: 'https://accounts.google.com' }, paramsAdded: ['access_type', 'prompt'], appliedBy: 'rule', outcome: 'callback' },
  { id: 'c2', startedAt: NOW - 3_600_000, endedAt: NOW - 3_500_000, clientId: 'claude-code', redirectPort: 53682, serverOrigin: 'https://mcp.linear.app',
    paramsAdded: [], outcome: 'tab-closed' },
];

describe('options page', () => {
  beforeAll(async () => {
    // A rule of the user's and one from the host config: the columns that broke mid-word ("confi/g", "Remov/e").
    await withHost.serviceWorker.evaluate(
      (items) => (globalThis as unknown as { chrome: any }).chrome.storage.local.set(items),
      {
        providerSettings: { disabled: ['okta'], userRules: [{ id: 'team-idp', name: 'Team identity provider', origins: ['https://login.team-idp.example.com'], params: { access_type: 'offline', prompt: 'consent' }, source: 'user' }] },
        configRules: [{ id: 'corp-sso', name: 'Corporate SSO', origins: ['https://sso.corp.example.com', 'https://*.sso.corp.example.com'], params: {}, addScopes: ['offline_access'], source: 'config' }],
      },
    );
  });

  for (const scheme of SCHEMES) {
    it(`at 1000 px (${scheme}): rules, the add form, the activity`, async () => {
      const page = await withHost.context.newPage();
      await page.setViewportSize({ width: 1000, height: 800 });
      await page.emulateMedia({ colorScheme: scheme });
      try {
        await page.goto(`chrome-extension://${withHost.extensionId}/options.html`);
        await page.evaluate(
          (records) =>
            new Promise<void>((resolve, reject) => {
              const open = indexedDB.open('mcp-login-bridge-activity', 1);
              open.onupgradeneeded = () => open.result.createObjectStore('chains', { keyPath: 'id' }).createIndex('startedAt', 'startedAt');
              open.onsuccess = () => {
                const tx = open.result.transaction('chains', 'readwrite');
                for (const r of records) tx.objectStore('chains').put(r);
                tx.oncomplete = () => (open.result.close(), resolve());
                tx.onerror = () => reject(tx.error);
              };
              open.onerror = () => reject(open.error);
            }),
          ACTIVITY,
        );
        await page.reload();
        await page.waitForSelector('#rules tbody tr[data-rule-id="corp-sso"]');
        await page.waitForSelector('#activity-table tbody tr');
        expect(await page.textContent('#rules')).toContain('Host config');
        expect(await page.locator('#activity-table tbody tr').count()).toBe(2);
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
    await writeFile(join(dir, 'status.json'), JSON.stringify(STATUS['no-refresh-token']));
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

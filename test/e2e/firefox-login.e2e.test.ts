/**
 * Click-to-authorize (DESIGN.md 3.1) in Firefox ESR with the MV3 add-on: popup.html, opened in a
 * tab over WebDriver BiDi, asks the real host (started by Firefox through native messaging) to
 * begin; the Google-like provider logs in and consents; the add-on's declarativeNetRequest rule
 * takes the loopback callback to moz-extension://<uuid>/callback.html; the host redeems the code
 * and writes the Secret Service keyring. Then the same login from a terminal: `mcp-login-bridge
 * login` reaches the Firefox-launched host over its bridge and the add-on opens the tab
 * (DESIGN.md 3.3). Last, a second Authorize while a sign-in waits, and the sign-in tab closed.
 *
 * Firefox's traffic goes through a recording pass-through proxy, loopback included, so the test
 * sees at the network that the callback never reached the host's loopback port: the capture took
 * it inside the browser. (The host also listens on that port, so the keychain entry alone would
 * not tell which way the callback came.)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../native-host/stores/bridge-store';
import type { StoredCredential } from '../../native-host/stores/credential';
import { launchFirefoxWithAddon, until, type Bidi, type FirefoxHarness } from '../fixtures/firefox-harness';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../fixtures/mcp-server';
import { CLI_BIN, assertHostBuilt } from '../helpers/native-client';
import { runCli } from './login-world';

interface RecordingProxy {
  port: number;
  /** Origin + path of every request Firefox sent (never the query: callbacks carry codes). */
  seen: string[];
  close(): Promise<void>;
}

/** A plain-HTTP forward proxy (Firefox sends it absolute-form requests) that records and passes on. */
async function startRecordingProxy(): Promise<RecordingProxy> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    seen.push(target.origin + target.pathname);
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let keyring: KeyringHarness;
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let proxy: RecordingProxy;
let firefox: FirefoxHarness;
let dir: string;
let env: Record<string, string>;
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  assertHostBuilt();
  // The keyring first: its HOME is where `install` writes the host manifest and Firefox looks.
  keyring = await startKeyring();
  dir = await mkdtemp(join(tmpdir(), 'mlb-firefox-login-'));
  const configPath = join(dir, 'config.json');
  // A valid, empty config until the provider is up: the host Firefox starts may read it at once.
  await writeFile(configPath, '{}', { mode: 0o600 });
  env = { ...keyring.env, MCP_LOGIN_BRIDGE_CONFIG: configPath, MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(dir, 'runtime') };

  // Firefox takes longest to start (several seconds): it starts alongside the servers.
  const servers = (async () => {
    // Each sign-in step takes a moment, as a person's would: longer than the event page's idle
    // timeout below, with no event reaching the add-on meanwhile.
    provider = await startGoogleLikeProvider({ interactionDelayMs: 600 });
    mcp = await startMcpServer({ issuer: provider.issuer });
    const config = {
      // Google has no dynamic registration; like a Google user, configure the desktop client.
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: [{ id: 'fixture-google', name: 'Fixture provider (Google-like)', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
    };
    // Replaced whole: a host reading it meanwhile sees the old or the new file, never half of one.
    await writeFile(`${configPath}.tmp`, JSON.stringify(config), { mode: 0o600 });
    await rename(`${configPath}.tmp`, configPath);
  })();
  const browser = (async () => {
    proxy = await startRecordingProxy();
    const installed = await runCli(['install', '--browser', 'firefox'], env);
    if (installed.code !== 0) throw new Error(`install failed: ${installed.stderr}`);
    firefox = await launchFirefoxWithAddon({
      env,
      prefs: {
        'network.proxy.type': 1,
        'network.proxy.http': '127.0.0.1',
        'network.proxy.http_port': proxy.port,
        // Firefox never proxies loopback unless told to, and loopback is what the test watches.
        'network.proxy.allow_hijacking_localhost': true,
        'network.proxy.no_proxies_on': '',
        // Firefox runs the MV3 background as an event page, suspended after 30 s without events
        // (Chromium's service worker likewise); the flow (state, tab, capture rule id) lives in its
        // memory. Firefox keeps it while a native messaging port is open, which the add-on holds.
        // A short timeout makes every sign-in here outlast it: a suspended page would have lost the
        // flow and refused the callback.
        'extensions.background.idle.timeout': 300,
      },
    });
  })();
  // Both settle before either failure is thrown, so afterAll finds everything that started.
  const [a, b] = await Promise.allSettled([servers, browser]);
  for (const outcome of [a, b]) if (outcome.status === 'rejected') throw outcome.reason;
}, 90_000);

afterAll(async () => {
  restoreEnv?.();
  await firefox?.close();
  await proxy?.close();
  await mcp?.close();
  await provider?.close();
  await keyring?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The bridge store as the host sees it, read in this process through the same keyring. */
function bridgeStore(): BridgeStore {
  restoreEnv ??= keyring.applyToProcess();
  return new BridgeStore();
}

interface ShownResult {
  state: string | null;
  text: string;
}

/** What the page's `#result` section shows (popup and callback page share it). */
async function shownResult(bidi: Bidi, context: string): Promise<ShownResult> {
  const json = await bidi.evaluate(
    context,
    `(() => { const r = document.querySelector('#result'); return JSON.stringify({ state: r?.dataset.state ?? null, text: r?.innerText.trim() ?? '' }); })()`,
  );
  return JSON.parse(String(json)) as ShownResult;
}

/** Waits until the page's `#result` shows how a login ended (success, warning or error). */
async function finalResult(bidi: Bidi, context: string, what: string): Promise<ShownResult> {
  let shown: ShownResult = { state: null, text: '' };
  await until(
    async () => ['success', 'warning', 'error'].includes((shown = await shownResult(bidi, context).catch(() => shown)).state ?? ''),
    what,
    20_000,
  );
  return shown;
}

/** The tabs showing the add-on's callback page, in the order Firefox lists them. */
async function callbackTabs(): Promise<{ context: string; url: string }[]> {
  const page = `${firefox.extensionOrigin}/callback.html`;
  return (await firefox.bidi.tabs()).filter((t) => t.url.startsWith(page));
}

/** The callback port of the host's logins: the redirect_uri the provider was sent. */
function callbackOrigins(): Set<string> {
  return new Set(provider.stats.authorizeRequests.map((u) => new URL(u.searchParams.get('redirect_uri')!).origin));
}

/**
 * None of the credential's secrets; with `callbacks`, none of the logins' states either (they
 * travel with the codes in callbacks: logs must not hold callbacks). The CLI prints its authorize
 * URL, state included, on purpose: the user may have to open it by hand.
 */
function assertNoSecrets(haystack: string, credential: StoredCredential, where: string, callbacks = false): void {
  const states = callbacks ? provider.stats.authorizeRequests.map((u) => u.searchParams.get('state')) : [];
  for (const secret of [credential.accessToken, credential.refreshToken, credential.clientSecret, ...states]) {
    if (secret) expect(haystack.includes(secret), `a secret appeared in ${where}`).toBe(false);
  }
}

describe('login in Firefox ESR, MV3 add-on', () => {
  it('Authorize in the popup: the add-on captures the callback, the keychain gets a refresh token', async () => {
    const { bidi, extensionOrigin } = firefox;
    const popup = await bidi.openTab(`${extensionOrigin}/popup.html`);
    // Authorize is enabled once the host has answered (the popup's first-run check): click it then.
    await until(
      async () => (await bidi.evaluate(popup, `document.readyState === 'complete' && document.querySelector('#authorize')?.disabled === false`).catch(() => false)) === true,
      'the popup page, with Authorize enabled',
      15_000,
    );
    await bidi.evaluate(
      popup,
      `(() => { document.querySelector('#server-url').value = ${JSON.stringify(mcp.url)}; document.querySelector('#authorize').click(); })()`,
    );

    const shown = await finalResult(bidi, popup, 'the popup to show the outcome').catch((error: Error) => {
      throw new Error(`${error.message}\n${firefox.output().slice(-3000)}`);
    });
    expect(shown.state, shown.text).toBe('success');
    // Which account signed in (the provider's ID token email), right in the card.
    expect(shown.text).toContain(`Logged in to ${mcp.url} as demo@example.test; refresh token stored`);

    // The provider saw the rule's parameters on the one authorization it served.
    expect(provider.stats.authorizeRequests).toHaveLength(1);
    const sent = provider.stats.authorizeRequests[0]!.searchParams;
    expect(sent.get('access_type')).toBe('offline');
    expect(sent.get('prompt')).toBe('consent');

    // The login tab ended on the add-on's callback page, which shows the same outcome and has
    // already taken the code out of its address.
    // The popup can show the result before the page's first statement has run: wait for it.
    await until(async () => (await callbackTabs()).some((t) => t.url === `${extensionOrigin}/callback.html`), 'the callback page to take the code out of its address', 5_000).catch(() => undefined);
    const [tab, ...more] = await callbackTabs();
    expect(more).toHaveLength(0);
    expect(tab!.url).toBe(`${extensionOrigin}/callback.html`);
    expect((await finalResult(bidi, tab!.context, 'the callback page to show the outcome')).state).toBe('success');

    // At the network: Firefox reached the provider through the proxy, but never the callback port.
    const [callbackOrigin] = callbackOrigins();
    expect(proxy.seen.some((u) => u.startsWith(`${provider.issuer}/auth`))).toBe(true);
    expect(proxy.seen.filter((u) => u.startsWith(callbackOrigin!))).toEqual([]);

    const stored = await bridgeStore().read(mcp.url);
    expect(stored?.refreshToken, 'the keychain entry has a refresh token').toBeTruthy();
    expect(stored!.issuer).toBe(provider.issuer);
    assertNoSecrets(firefox.output(), stored!, "Firefox's output (add-on and host logs)", true);
  });

  it('`mcp-login-bridge login` in a terminal: the host Firefox started opens the login in the add-on', async () => {
    const runtimeDir = env.MCP_LOGIN_BRIDGE_RUNTIME_DIR!;
    const bridgeFiles = async () => (existsSync(runtimeDir) ? (await readdir(runtimeDir)).filter((n) => /^host-\d+\.json$/.test(n)) : []);
    // Announced when the add-on connected; long done by now, but the first test may run alone.
    await until(async () => (await bridgeFiles()).length === 1, 'the Firefox host to announce its bridge', 10_000);
    const authorizationsBefore = provider.stats.authorizeRequests.length;
    const tabsBefore = (await callbackTabs()).length;
    const before = await bridgeStore().read(mcp.url);

    // No xdg-open on PATH: only the add-on can open this login.
    const noOpener = await mkdtemp(join(tmpdir(), 'mlb-path-'));
    let stdout = '';
    let stderr = '';
    let code: number | null;
    try {
      // --browser firefox: the host must have recognised Firefox as the browser that started it.
      const child = spawn(process.execPath, [CLI_BIN, 'login', mcp.url, '--browser', 'firefox', '--json', '--timeout', '30'], {
        env: { ...process.env, ...env, PATH: noOpener },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      code = await new Promise<number | null>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', resolve);
      });
    } finally {
      await rm(noOpener, { recursive: true, force: true });
    }

    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, via: 'extension', serverUrl: mcp.url, refreshCapable: true });
    expect(stderr).toContain('opened in a tab of firefox');
    expect(provider.stats.authorizeRequests).toHaveLength(authorizationsBefore + 1);
    expect(provider.stats.authorizeRequests.at(-1)!.searchParams.get('access_type')).toBe('offline');

    // A new callback page showing success, and still nothing at the callback port.
    const tabs = await callbackTabs();
    expect(tabs).toHaveLength(tabsBefore + 1);
    const shown = await Promise.all(tabs.map((t) => finalResult(firefox.bidi, t.context, 'the callback page to show the outcome')));
    expect(shown.map((s) => s.state)).toEqual(tabs.map(() => 'success'));
    for (const origin of callbackOrigins()) expect(proxy.seen.filter((u) => u.startsWith(origin))).toEqual([]);

    const stored = await bridgeStore().read(mcp.url);
    expect(stored?.refreshToken, 'the keychain entry has a refresh token').toBeTruthy();
    expect(stored!.accessToken, 'the new login replaced the first one').not.toBe(before?.accessToken);
    assertNoSecrets(stdout + stderr, stored!, "the CLI's output");
    assertNoSecrets(firefox.output(), stored!, "Firefox's output (add-on and host logs)", true);

    // Control: the callback address opened outside any login (no capture rule armed) does go
    // through the proxy to the port, so a missed capture above would have shown.
    const [callbackOrigin] = callbackOrigins();
    await firefox.bidi.openTab(`${callbackOrigin}/callback?error=access_denied`);
    await until(() => proxy.seen.includes(`${callbackOrigin}/callback`), 'the proxy to see a request to the callback port', 10_000);
  });

  it('a second Authorize while the sign-in waits focuses its tab (no second tab); closing the tab ends it, also for a popup opened later', async () => {
    const { bidi, extensionOrigin } = firefox;
    const openPopup = async () => {
      const popup = await bidi.openTab(`${extensionOrigin}/popup.html`);
      await until(
        async () => (await bidi.evaluate(popup, `document.readyState === 'complete' && document.querySelector('#authorize')?.disabled === false`).catch(() => false)) === true,
        'the popup page, with Authorize enabled',
        15_000,
      );
      return popup;
    };
    const authorize = (popup: string) =>
      bidi.evaluate(popup, `(() => { document.querySelector('#server-url').value = ${JSON.stringify(mcp.url)}; document.querySelector('#authorize').click(); })()`);
    const resultSays = (popup: string, state: string, words: string, what: string) =>
      until(async () => {
        const shown = await shownResult(bidi, popup).catch(() => ({ state: null, text: '' }));
        return shown.state === state && shown.text.includes(words);
      }, what, 20_000);
    const authorizationsBefore = provider.stats.authorizeRequests.length;
    // A blocked navigation leaves its tab at about:blank in Firefox: the sign-in tabs are the tabs
    // opened since, other than the add-on's own pages.
    const tabsBefore = new Set((await bidi.tabs()).map((t) => t.context));
    const signInTabs = async () => (await bidi.tabs()).filter((t) => !tabsBefore.has(t.context) && !t.url.startsWith(extensionOrigin));

    // The sign-in tab stays unfinished: a session rule of the test's own blocks its request to the
    // provider, as a user who has not signed in yet.
    const first = await openPopup();
    tabsBefore.add(first);
    const authPattern = `^${provider.issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/auth\\?`;
    await bidi.evaluate(first, `browser.declarativeNetRequest.updateSessionRules({ addRules: [{ id: 9991, priority: 1000, action: { type: 'block' }, condition: { regexFilter: ${JSON.stringify(authPattern)}, resourceTypes: ['main_frame'] } }] })`);
    try {
      await authorize(first);
      await resultSays(first, 'pending', 'Waiting for you to sign in', 'the popup to wait for the sign-in');
      await until(async () => (await signInTabs()).length === 1, 'one sign-in tab', 15_000).catch(async (e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(await bidi.tabs())}`);
      });
      const [tab] = await signInTabs();

      // A second click, from a popup opened again, as a user who lost the tab would.
      const second = await openPopup();
      tabsBefore.add(second);
      await authorize(second);
      await resultSays(second, 'pending', 'already open; finish it in that tab', 'the popup to point at the open sign-in');
      await new Promise((r) => setTimeout(r, 500));
      expect((await signInTabs()).map((t) => t.context)).toEqual([tab!.context]);
      await until(async () => String(await bidi.evaluate(second, `document.querySelector('#login-status')?.textContent ?? ''`)).includes('1 sign-in waiting in a tab.'), 'the waiting count', 15_000);

      // The user closes the sign-in tab: the login is over, and a popup opened later says so.
      await bidi.send('browsingContext.close', { context: tab!.context });
      const later = await openPopup();
      tabsBefore.add(later);
      await resultSays(later, 'error', 'was closed before the login finished', 'the reopened popup to show the sign-in ended');
      await until(async () => (await bidi.evaluate(later, `document.querySelector('#login-status:not([data-state="loading"])') !== null`)) === true, 'the logins list', 15_000);
      expect(String(await bidi.evaluate(later, `document.querySelector('#login-status').textContent`))).not.toMatch(/waiting in a tab|in progress/);
      expect(provider.stats.authorizeRequests).toHaveLength(authorizationsBefore);
    } finally {
      await bidi.evaluate(first, `browser.declarativeNetRequest.updateSessionRules({ removeRuleIds: [9991] })`).catch(() => undefined);
    }
  });
});

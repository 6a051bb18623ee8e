/**
 * Wiring only: the native host client, the callback capture, the result history, the login
 * flows and the automatic capture of other tools' logins, connected to the browser's events. The
 * logic is in ../lib.
 */
import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { NATIVE_HOST_NAME } from '../../shared/constants';
import { IdbActivityStore } from '../lib/auto-capture/activity-log';
import { CallbackCapture } from '../lib/authorize/callback-capture';
import { connectHostNow, handleHostPush } from '../lib/host/host-push';
import { LoginChains, type RewriteRulesApi } from '../lib/auto-capture/login-chains';
import { LoginFlows } from '../lib/authorize/login-flows';
import { loginTabs } from '../lib/authorize/login-tabs';
import { createMessageRouter } from '../lib/page-messages/message-router';
import { NativeHostClient, type NativePortLike } from '../lib/host/native-host-client';
import { CONFIG_RULES_KEY, SETTINGS_KEY, effectiveRules, parseRules, parseSettings } from '../lib/settings/provider-settings';
import { ResultHistory } from '../lib/ui/result-history';

// Ids, step names, origins and error names only: never a full URL, a query or a host message body.
const log = (message: string) => console.info(`[mcp-login-bridge] ${message}`);

export default defineBackground(() => {
  const host = new NativeHostClient({
    connect: () => browser.runtime.connectNative(NATIVE_HOST_NAME) as unknown as NativePortLike,
    // Chromium reports why in runtime.lastError during onDisconnect; Firefox sets port.error.
    disconnectReason: (port) => (port as { error?: { message?: string } }).error?.message ?? browser.runtime.lastError?.message,
    extensionId: browser.runtime.id,
    extensionVersion: browser.runtime.getManifest().version,
    log,
  });
  const callbackPageUrl = browser.runtime.getURL('/callback.html');
  const capture = new CallbackCapture(browser.declarativeNetRequest, callbackPageUrl);
  const results = new ResultHistory(browser.storage.session);
  const flows = new LoginFlows({
    host,
    tabs: loginTabs,
    capture,
    results,
    callbackPageUrl,
    now: Date.now,
    newFlowId: () => crypto.randomUUID(),
    setTimer: (callback, ms) => setTimeout(callback, ms),
    clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    log,
  });
  const chains = new LoginChains({
    rulesApi: browser.declarativeNetRequest as unknown as RewriteRulesApi,
    activity: new IdbActivityStore(),
    navigate: (tabId, url) => loginTabs.navigate(tabId, url),
    ownsTab: (tabId) => flows.ownsTab(tabId),
    now: Date.now,
    newId: () => crypto.randomUUID(),
    setTimer: (callback, ms) => setTimeout(callback, ms),
    clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    log,
  });
  const route = createMessageRouter({
    flows,
    host,
    results,
    runtimeId: browser.runtime.id,
    extensionOrigin: browser.runtime.getURL('/'),
    onConfigRules: (rules) => void keepConfigRules(rules),
    log,
  });

  /** The host config's rules from `hello`, kept so they apply while the host is not running. */
  async function keepConfigRules(rules: unknown): Promise<void> {
    const parsed = parseRules(rules, 'config');
    const stored = (await browser.storage.local.get(CONFIG_RULES_KEY))[CONFIG_RULES_KEY];
    if (JSON.stringify(stored ?? []) !== JSON.stringify(parsed)) await browser.storage.local.set({ [CONFIG_RULES_KEY]: parsed });
  }
  const hostWithRules = { hello: () => host.hello().then((hello) => (void keepConfigRules(hello.configRules), hello)) };

  async function loadRules() {
    const stored = await browser.storage.local.get([SETTINGS_KEY, CONFIG_RULES_KEY]);
    return effectiveRules(parseSettings(stored[SETTINGS_KEY]), parseRules(stored[CONFIG_RULES_KEY], 'config'));
  }
  const applySettings = async () => chains.setRules(await loadRules());

  // Listeners first, synchronously: a worker woken by one of these events must find them.
  browser.runtime.onMessage.addListener((message, sender) => route(message, sender));
  // A CLI's `mcp-login-bridge login`, relayed by the host: opened and captured like a popup's;
  // and logins the host's loopback listener finished when the capture missed them.
  host.onPush = (message) => void handleHostPush(message, { flows, now: Date.now, log });
  // The host and its bridge run while the port is open: connect at every worker start, and at
  // browser startup (this listener is what wakes the worker then).
  browser.runtime.onStartup.addListener(() => void connectHostNow(hostWithRules, log));
  browser.tabs.onRemoved.addListener((tabId) => {
    void flows.handleTabClosed(tabId);
    chains.handleTabRemoved(tabId);
  });
  browser.webNavigation.onBeforeNavigate.addListener((details) => chains.handleBeforeNavigate(details));
  // A captured callback starts the host's `complete` as the flow's tab begins loading the callback
  // page, not once the page has loaded and asked. Chromium shows the extension its own page's
  // request here; onCommitted (later) covers browsers that do not, and the page itself stays the
  // last fallback. All three deliver one state once.
  browser.webRequest.onBeforeRequest.addListener(
    (details) => {
      if (!flows.handleCapturedNavigation(details.tabId, details.url)) void chains.handleBeforeRequest(details);
      return undefined;
    },
    { urls: ['<all_urls>'], types: ['main_frame'] },
  );
  browser.webNavigation.onCommitted.addListener((details) => {
    if (details.frameId === 0) flows.handleCapturedNavigation(details.tabId, details.url);
    chains.handleCommitted(details);
  });
  browser.webRequest.onSendHeaders.addListener((details) => chains.handleSendHeaders(details), { urls: ['<all_urls>'], types: ['main_frame'] });
  browser.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && (SETTINGS_KEY in changes || CONFIG_RULES_KEY in changes)) {
      applySettings().catch((error: unknown) => log(`could not apply provider rules: ${String(error)}`));
    }
  });

  // Flows live in this worker's memory: a previous worker's rules and pending results are
  // orphans. Both cleanups are queued before any message can arm a rule or save a result.
  capture.removeStaleRules().then(
    (n) => n && log(`removed ${n} capture rule(s) left by a previous service worker`),
    (error: unknown) => log(`could not clean up capture rules: ${String(error)}`),
  );
  results.interruptPending(Date.now()).catch((error: unknown) => log(`could not update old results: ${String(error)}`));
  void connectHostNow(hostWithRules, log);
  chains
    .start(loadRules)
    .catch((error: unknown) => log(`could not start automatic capture: ${String(error)}`));
});

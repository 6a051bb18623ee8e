/**
 * Wiring only: the native host client, the callback capture, the result history and the login
 * flows, connected to the browser's events. The logic is in ../lib.
 */
import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { NATIVE_HOST_NAME } from '../../shared/constants';
import { CallbackCapture } from '../lib/callback-capture';
import { connectHostNow, handleHostPush } from '../lib/host-push';
import { LoginFlows } from '../lib/login-flows';
import { loginTabs } from '../lib/login-tabs';
import { createMessageRouter } from '../lib/message-router';
import { NativeHostClient, type NativePortLike } from '../lib/native-host-client';
import { ResultHistory } from '../lib/result-history';

// Ids, step names and error names only: never a URL, a query or a host message body.
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
  const capture = new CallbackCapture(browser.declarativeNetRequest, browser.runtime.getURL('/callback.html'));
  const results = new ResultHistory(browser.storage.session);
  const flows = new LoginFlows({
    host,
    tabs: loginTabs,
    capture,
    results,
    now: Date.now,
    newFlowId: () => crypto.randomUUID(),
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
    log,
  });

  browser.runtime.onMessage.addListener((message, sender) => route(message, sender));
  // A CLI's `mcp-login-bridge login`, relayed by the host: opened and captured like a popup's.
  host.onPush = (message) => void handleHostPush(message, { flows, now: Date.now, log });
  // The host and its bridge run while the port is open: connect at every worker start, and at
  // browser startup (this listener is what wakes the worker then).
  browser.runtime.onStartup.addListener(() => void connectHostNow(host, log));
  browser.tabs.onRemoved.addListener((tabId) => void flows.handleTabClosed(tabId));
  // Flows live in this worker's memory: a previous worker's rules and pending results are
  // orphans. Both cleanups are queued before any message can arm a rule or save a result.
  capture.removeStaleRules().then(
    (n) => n && log(`removed ${n} capture rule(s) left by a previous service worker`),
    (error: unknown) => log(`could not clean up capture rules: ${String(error)}`),
  );
  results.interruptPending(Date.now()).catch((error: unknown) => log(`could not update old results: ${String(error)}`));
  void connectHostNow(host, log);
});

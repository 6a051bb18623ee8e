/**
 * Click-to-authorize (DESIGN.md 3.1), the extension's half: ask the host to begin, arm the callback
 * capture for the flow's tab, send the tab to the provider; when the captured callback comes back,
 * hand it to the host once, record the outcome, disarm. Browser and host access come in as
 * dependencies, so the whole sequence runs in unit tests with fakes.
 */
import { errorText } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol';
import type { BeginResult, CompleteResult } from '../../../shared/protocol';
import { ExtensionError, type HostError, toDisplayError } from '../extension-errors';
import { PendingFlows, type PendingFlow } from './pending-flows';
import { checkServerUrl } from './server-url';
import {
  alreadyWaitingSummary,
  completedSummary,
  errorSummary,
  finishingSummary,
  formatLocalTime,
  waitingForSignInSummary,
  type FormatTime,
  type ResultSummary,
  type SummaryBase,
} from '../ui/result-summary';

export interface LoginFlowDeps {
  host: {
    begin(serverUrl: string): Promise<BeginResult>;
    complete(callbackUrl: string): Promise<CompleteResult>;
  };
  tabs: {
    /** Opens an about:blank tab (in `windowId`, else the current window); returns its id. */
    openBlank(windowId?: number): Promise<number>;
    navigate(tabId: number, url: string): Promise<void>;
    /** Brings an open tab (and its window) to the front; rejects when the tab is gone. */
    focus(tabId: number): Promise<void>;
    close(tabId: number): Promise<void>;
  };
  capture: {
    arm(redirectUri: string, tabId?: number): Promise<number>;
    disarm(ruleId: number): Promise<void>;
  };
  results: { save(summary: ResultSummary): Promise<void> };
  /** `browser.runtime.getURL('/callback.html')`: where the capture rule sends the callback. */
  callbackPageUrl: string;
  now(): number;
  newFlowId(): string;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  formatTime?: FormatTime;
  /** Diagnostics: flow ids and step names only; never a URL with a code or state. */
  log?: (message: string) => void;
  /** How long a finished flow's state is remembered, so late duplicates still get its outcome. */
  rememberMs?: number;
}

/** Where a callback page runs (from `runtime.MessageSender`); absent for pages outside a tab. */
export interface CallbackSender {
  tabId?: number;
  frameId?: number;
}

/** A capture rule never outlives this, whatever expiry the host names. */
const MAX_CAPTURE_MS = 2 * LIMITS.flowTtlMs;

export class LoginFlows {
  private readonly deps: LoginFlowDeps;
  private readonly flows = new PendingFlows<ResultSummary>();
  private readonly expiryTimers = new Map<string, unknown>();
  /** States the background sent to the host before their callback page asked (one entry each, until the page does). */
  private readonly sentWhileLoading = new Set<string>();
  private readonly formatTime: FormatTime;

  constructor(deps: LoginFlowDeps) {
    this.deps = deps;
    this.formatTime = deps.formatTime ?? formatLocalTime;
  }

  /** Starts a login for `serverUrl` in a new tab. Resolves once the tab is on its way to the provider. */
  async authorize(serverUrl: string, windowId?: number): Promise<ResultSummary> {
    const startedAt = this.deps.now();
    const b: SummaryBase = { flowId: this.deps.newFlowId(), serverUrl, startedAt, now: startedAt };
    const refused = this.refuseServerUrl(b);
    if (refused) {
      await this.save(refused);
      return refused;
    }
    // A second click while the sign-in waits in a tab (lost behind other windows, say) brings
    // that tab back instead of opening another sign-in the user would have to tell apart.
    const open = await this.focusWaitingLogin(serverUrl);
    if (open) return open;
    let summary: ResultSummary;
    try {
      const begun = await this.deps.host.begin(serverUrl);
      summary = await this.openLoginTab(b, begun, windowId);
    } catch (error) {
      summary = errorSummary({ ...b, now: this.deps.now() }, toDisplayError(error));
    }
    await this.save(summary);
    return summary;
  }

  /**
   * A login the host began for a CLI over its bridge (`openLogin` push, DESIGN.md 3.3): the tab
   * opens and the capture is armed exactly as for a popup-started flow, and the captured callback
   * goes to the host's `complete`, which also tells the waiting CLI.
   */
  async openHostFlow(serverUrl: string, begun: BeginResult): Promise<ResultSummary> {
    const startedAt = this.deps.now();
    const b: SummaryBase = { flowId: this.deps.newFlowId(), serverUrl, startedAt, now: startedAt };
    const refused = this.refuseServerUrl(b);
    if (refused) {
      await this.save(refused);
      return refused;
    }
    let summary: ResultSummary;
    try {
      summary = await this.openLoginTab(b, begun, undefined);
    } catch (error) {
      summary = errorSummary({ ...b, now: this.deps.now() }, toDisplayError(error));
    }
    await this.save(summary);
    return summary;
  }

  /**
   * A captured callback's query string (from the callback page), and where that page runs. The
   * first delivery of a state goes to the host; repeats get the same outcome. Callbacks for states
   * we did not begin, or delivered from anywhere but the top frame of the flow's own tab, are
   * refused here and never reach the host.
   */
  handleCallback(query: string, from: CallbackSender): Promise<ResultSummary> {
    const now = this.deps.now();
    const orphan = (message: string): Promise<ResultSummary> =>
      Promise.resolve(
        errorSummary(
          { flowId: this.deps.newFlowId(), serverUrl: null, startedAt: now, now },
          { source: 'extension', code: null, name: 'UnknownCallbackState', message },
        ),
      );
    if (query.length === 0 || query.length > LIMITS.maxUrlLength) {
      return orphan('This page got no login callback to finish (it may have been reloaded). The last result is in the extension popup.');
    }
    const state = new URLSearchParams(query).get('state');
    if (!state) {
      return orphan('The login callback has no "state", so it cannot be matched to a login; it was not sent to the host. Start the login again from the extension popup.');
    }
    // callback.html is web-accessible (the capture redirect needs that), so any web page can open
    // or frame it with a state it has learned (say, from the authorize URL) and a code of its own
    // for the same PKCE challenge: a login CSRF, or a flow killed early. The capture only ever
    // loads it as the top frame of the flow's tab, so a copy from anywhere else counts as unknown,
    // like handleCapturedNavigation's check, and its sender learns nothing of the flow.
    const flow = this.flows.get(state);
    const fromFlowTab = flow !== undefined && from.frameId === 0 && from.tabId !== undefined && flow.tabId === from.tabId;
    const delivery = fromFlowTab ? this.flows.deliver(state, (f) => this.complete(f, query)) : ({ kind: 'unknown' } as const);
    if (delivery.kind === 'unknown') {
      // Not saved: any local page can open the callback page, and must not overwrite real results.
      return orphan('This login callback does not belong to a login this extension started in this tab, so it was not sent to the host. Start the login again from the extension popup.');
    }
    // The callback page's own copy after the background already sent it is how every capture
    // ends, not a duplicate worth a line; any further copy is.
    if (delivery.kind === 'repeat' && !this.sentWhileLoading.delete(state)) {
      this.deps.log?.(`flow ${delivery.flow.flowId}: duplicate callback, not sent again`);
    }
    return delivery.outcome;
  }

  /**
   * The background's own sight of a capture: a main-frame load of the callback page, query and all,
   * in a tab where one of our flows waits (Chromium reports it in `webRequest.onBeforeRequest`
   * as the redirected request starts, about 150 ms before the page could message us; Firefox
   * at the latest in `webNavigation.onCommitted`). The host's `complete` starts now; the page's
   * own delivery of the same state then just gets this outcome. Only the callback page's URL
   * counts, not the loopback request before the redirect: it proves the capture happened, so
   * the host's loopback listener cannot receive the same callback. Returns whether it was sent.
   */
  handleCapturedNavigation(tabId: number, url: string): boolean {
    // Cheap test first: this sees every main-frame request of the browser.
    if (!url.startsWith(`${this.deps.callbackPageUrl}?`)) return false;
    const waiting = this.flows.waitingInTab(tabId);
    if (waiting.length === 0) return false;
    // What the page reads as `location.search`: after the `?`, up to a fragment.
    const rest = url.slice(this.deps.callbackPageUrl.length + 1);
    const hash = rest.indexOf('#');
    const query = hash === -1 ? rest : rest.slice(0, hash);
    if (query.length === 0 || query.length > LIMITS.maxUrlLength) return false;
    const state = new URLSearchParams(query).get('state');
    // The state must be the one a flow of this very tab waits for: a page in the tab cannot
    // finish another tab's login, and nothing is sent for a state we did not begin.
    if (!state || !waiting.some((f) => f.state === state)) return false;
    mark('mlb-callback-seen');
    const delivery = this.flows.deliver(state, (flow) => this.complete(flow, query));
    if (delivery.kind !== 'first') return false;
    this.sentWhileLoading.add(state);
    this.deps.log?.(`flow ${delivery.flow.flowId}: callback captured in its tab; sent to the host while the callback page loads`);
    void delivery.outcome;
    return true;
  }

  /** Logins waiting for their sign-in in a tab of this browser (a closed tab ends its login). */
  waitingCount(): number {
    return this.flows.waiting().length;
  }

  private async focusWaitingLogin(serverUrl: string): Promise<ResultSummary | undefined> {
    const flow = this.flows.waiting().find((f) => f.serverUrl === serverUrl && f.tabId !== undefined);
    if (!flow) return undefined;
    try {
      await this.deps.tabs.focus(flow.tabId!);
    } catch {
      // The tab is gone and its close event not yet seen: end that login and start afresh.
      await this.handleTabClosed(flow.tabId!);
      return undefined;
    }
    this.deps.log?.(`flow ${flow.flowId}: already waiting in tab ${flow.tabId}; focused it`);
    const b: SummaryBase = { flowId: flow.flowId, serverUrl: flow.serverUrl, startedAt: flow.startedAt, now: this.deps.now() };
    const summary = alreadyWaitingSummary({ ...b, expiresAt: flow.expiresAt }, this.formatTime);
    await this.save(summary);
    return summary;
  }

  /** Whether a login this extension started is waiting in the tab (automatic capture leaves it alone). */
  ownsTab(tabId: number): boolean {
    return this.flows.waitingInTab(tabId).length > 0;
  }

  /**
   * The host completed one of our flows itself (`flowSettled` push): its loopback listener got
   * the callback because the capture missed it, e.g. the user finished the sign-in in another
   * browser. The flow ends with the host's outcome instead of expiring later; the login tab is
   * left as it is (the user may still be reading it). `outcome` is already validated. Returns
   * whether a waiting flow ended.
   */
  async handleSettledByHost(state: string, outcome: { result: CompleteResult } | { error: HostError }): Promise<boolean> {
    const flow = this.flows.get(state);
    if (!flow) return false;
    const b: SummaryBase = { flowId: flow.flowId, serverUrl: flow.serverUrl, startedAt: flow.startedAt, now: this.deps.now() };
    const summary =
      'result' in outcome ? completedSummary(b, outcome.result, this.formatTime, flow.appliedRules) : errorSummary(b, toDisplayError(outcome.error));
    // A flow that already has an outcome (its callback was captured, it expired, its tab closed) keeps it.
    if (!this.flows.end(state, summary)) return false;
    this.deps.log?.(`flow ${flow.flowId}: completed by the host's loopback listener (${summary.state})`);
    this.clearExpiry(flow);
    await this.disarm(flow);
    await this.save(summary);
    this.forgetLater(flow);
    return true;
  }

  /** A closed login tab ends its flow; the host's state then simply expires. */
  async handleTabClosed(tabId: number): Promise<void> {
    for (const flow of this.flows.waitingInTab(tabId)) {
      await this.endWithoutCallback(flow, {
        name: 'FlowCancelled',
        message: `The sign-in tab for ${flow.serverUrl} was closed before the login finished. Click Authorize to start again.`,
      });
    }
  }

  /**
   * The error result for a server URL that fails the check, else null. It leaves the URL out:
   * the result is saved, and a refused URL may hold a password.
   */
  private refuseServerUrl(b: SummaryBase): ResultSummary | null {
    try {
      checkServerUrl(b.serverUrl ?? '');
      return null;
    } catch (error) {
      return errorSummary({ ...b, serverUrl: null, now: this.deps.now() }, toDisplayError(error));
    }
  }

  private async openLoginTab(b: SummaryBase, begun: BeginResult, windowId: number | undefined): Promise<ResultSummary> {
    if (this.flows.get(begun.state)) throw new ExtensionError('InvalidHostResponse', 'The native host reused the state of a login still in progress. Update the host.');
    // The tab exists before the rule, and the rule before the navigation: the capture is in place
    // before any request of this login can leave the browser.
    let tabId: number;
    try {
      tabId = await this.deps.tabs.openBlank(windowId);
    } catch (error) {
      throw new ExtensionError('TabFailed', `Could not open a tab for the sign-in (${errorText(error)}). Try again.`);
    }
    let ruleId: number;
    try {
      ruleId = await this.deps.capture.arm(begun.redirectUri, tabId);
    } catch (error) {
      await this.deps.tabs.close(tabId).catch(() => undefined);
      throw new ExtensionError(
        'CaptureFailed',
        `Could not set up the capture of the login callback (${errorText(error)}). Reload the extension and try again.`,
      );
    }
    const flow: PendingFlow = {
      flowId: b.flowId,
      state: begun.state,
      serverUrl: b.serverUrl ?? '',
      redirectUri: begun.redirectUri,
      startedAt: b.startedAt,
      expiresAt: begun.expiresAt,
      tabId,
      ruleId,
      appliedRules: begun.appliedRules,
    };
    this.flows.add(flow);
    const ttl = Math.min(Math.max(begun.expiresAt - this.deps.now(), 0), MAX_CAPTURE_MS);
    this.expiryTimers.set(flow.state, this.deps.setTimer(() => void this.expire(flow), ttl));
    try {
      await this.deps.tabs.navigate(tabId, begun.authorizeUrl);
    } catch (error) {
      const message = `Could not open the sign-in page (${errorText(error)}). Try again.`;
      await this.endWithoutCallback(flow, { name: 'TabFailed', message }, false);
      throw new ExtensionError('TabFailed', message);
    }
    this.deps.log?.(`flow ${flow.flowId}: waiting for the callback in tab ${tabId}`);
    return waitingForSignInSummary({ ...b, now: this.deps.now(), authorizeUrl: begun.authorizeUrl, expiresAt: begun.expiresAt }, this.formatTime);
  }

  // Runs synchronously up to the host call, inside PendingFlows.deliver (see there).
  private complete(flow: PendingFlow, query: string): Promise<ResultSummary> {
    const b: SummaryBase = { flowId: flow.flowId, serverUrl: flow.serverUrl, startedAt: flow.startedAt, now: this.deps.now() };
    this.clearExpiry(flow);
    // Recorded while the host works, not before: the code goes to the host without delay.
    const finishing = this.save(finishingSummary(b));
    const outcome = this.askHost(flow, query, b);
    // The callback page gets the outcome as soon as the host answers: removing the capture rule
    // and recording the result (three browser round trips, and the popup redrawing on the
    // storage change) follow it rather than hold it up. The save follows the `finishing` one,
    // which it must replace.
    void outcome.then(async (summary) => {
      await Promise.all([this.disarm(flow), finishing.then(() => this.save(summary))]);
      this.forgetLater(flow);
    });
    return outcome;
  }

  private async askHost(flow: PendingFlow, query: string, b: SummaryBase): Promise<ResultSummary> {
    let summary: ResultSummary;
    try {
      // Rebuilt from the flow's own redirect URI: the callback page only supplies the query.
      mark('mlb-complete-sent');
      const result = await this.deps.host.complete(`${flow.redirectUri}?${query}`);
      mark('mlb-complete-answered', result.timings);
      summary = completedSummary({ ...b, now: this.deps.now() }, result, this.formatTime, flow.appliedRules);
    } catch (error) {
      summary = errorSummary({ ...b, now: this.deps.now() }, toDisplayError(error));
    }
    this.deps.log?.(`flow ${flow.flowId}: ${summary.state}`);
    return summary;
  }

  private async expire(flow: PendingFlow): Promise<void> {
    await this.endWithoutCallback(flow, {
      name: 'FlowExpired',
      message: `The login to ${flow.serverUrl} expired at ${this.formatTime(flow.expiresAt)} before the sign-in came back. Click Authorize to start again.`,
    });
  }

  private async endWithoutCallback(flow: PendingFlow, error: { name: 'FlowExpired' | 'FlowCancelled' | 'TabFailed'; message: string }, save = true): Promise<void> {
    const now = this.deps.now();
    const summary = errorSummary(
      { flowId: flow.flowId, serverUrl: flow.serverUrl, startedAt: flow.startedAt, now },
      { source: 'extension', code: null, ...error },
    );
    if (!this.flows.end(flow.state, summary)) return;
    this.deps.log?.(`flow ${flow.flowId}: ended without callback (${error.name})`);
    this.clearExpiry(flow);
    await this.disarm(flow);
    if (save) await this.save(summary);
    this.forgetLater(flow);
  }

  private async disarm(flow: PendingFlow): Promise<void> {
    if (flow.ruleId === undefined) return;
    try {
      await this.deps.capture.disarm(flow.ruleId);
    } catch (error) {
      this.deps.log?.(`flow ${flow.flowId}: could not remove capture rule ${flow.ruleId}: ${errorText(error)}`);
    }
  }

  private clearExpiry(flow: PendingFlow): void {
    const timer = this.expiryTimers.get(flow.state);
    if (timer !== undefined) this.deps.clearTimer(timer);
    this.expiryTimers.delete(flow.state);
  }

  private forgetLater(flow: PendingFlow): void {
    this.deps.setTimer(() => {
      this.flows.forget(flow.state);
      this.sentWhileLoading.delete(flow.state); // a page that never asked (closed, scripts off)
    }, this.deps.rememberMs ?? LIMITS.flowTtlMs);
  }

  private async save(summary: ResultSummary): Promise<void> {
    try {
      await this.deps.results.save(summary);
    } catch (error) {
      // The login itself is unaffected; only the popup's history misses an entry.
      this.deps.log?.(`could not record the result of flow ${summary.flowId}: ${errorText(error)}`);
    }
  }
}

/**
 * A User Timing mark of the latest login's step (one entry per name, replaced each time), which
 * bench/extension-capture reads to break "captured → stored" down. Nothing else reads them.
 */
function mark(name: string, detail?: unknown): void {
  if (typeof performance === 'undefined' || typeof performance.mark !== 'function') return;
  performance.clearMarks(name);
  performance.mark(name, detail === undefined ? undefined : { detail });
}

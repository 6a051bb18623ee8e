/**
 * Click-to-authorize (DESIGN.md 3.1), the extension's half: ask the host to begin, arm the callback
 * capture for the flow's tab, send the tab to the provider; when the captured callback comes back,
 * hand it to the host once, record the outcome, disarm. Browser and host access come in as
 * dependencies, so the whole sequence runs in unit tests with fakes. This module starts logins and
 * hands a callback to the host; which callbacks get that far is `pending-flows.ts`'s call, and
 * how a flow ends (and what every ending does) is `flow-endings.ts`'s.
 */
import { errorText } from '../../../shared/errors';
import type { BeginResult, CompleteResult } from '../../../shared/protocol';
import { ExtensionError, type HostError, toDisplayError } from '../extension-errors';
import { FlowEndings, type FlowEndingDeps } from './flow-endings';
import { CallbackDelivery, PendingFlows, type CallbackDeliveryDeps, type CallbackSender, type PendingFlow } from './pending-flows';
import { checkServerUrl } from './server-url';
import { mark } from './timing-marks';
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

export type { CallbackSender } from './pending-flows';

/** How long the host may take to complete a login before the popup says it is finishing. */
export const FINISHING_SHOWN_AFTER_MS = 250;

/** What a login needs from the browser and the host; the capture's removal, the results, timers and log are shared with the flows' endings and the callbacks' delivery. */
export interface LoginFlowDeps extends FlowEndingDeps, CallbackDeliveryDeps {
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
  formatTime?: FormatTime;
}

export class LoginFlows {
  private readonly deps: LoginFlowDeps;
  private readonly flows = new PendingFlows<ResultSummary>();
  private readonly formatTime: FormatTime;
  private readonly delivery: CallbackDelivery;
  private readonly endings: FlowEndings;

  constructor(deps: LoginFlowDeps) {
    this.deps = deps;
    this.formatTime = deps.formatTime ?? formatLocalTime;
    this.delivery = new CallbackDelivery(deps, this.flows, (flow, query) => this.complete(flow, query));
    this.endings = new FlowEndings(deps, this.flows, this.formatTime, (state) => this.delivery.forget(state));
  }

  /** A new attempt's summary base; with `refused` (already saved) when the server URL is not one to start. */
  private async newAttempt(serverUrl: string): Promise<{ b: SummaryBase; refused?: ResultSummary }> {
    const startedAt = this.deps.now();
    const b: SummaryBase = { flowId: this.deps.newFlowId(), serverUrl, startedAt, now: startedAt };
    const refused = this.refuseServerUrl(b);
    if (refused) await this.save(refused);
    return refused ? { b, refused } : { b };
  }

  /** Starts a login for `serverUrl` in a new tab. Resolves once the tab is on its way to the provider. */
  async authorize(serverUrl: string, windowId?: number): Promise<ResultSummary> {
    const { b, refused } = await this.newAttempt(serverUrl);
    if (refused) return refused;
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
    const { b, refused } = await this.newAttempt(serverUrl);
    if (refused) return refused;
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
    return this.delivery.fromPage(query, from);
  }

  /**
   * The background's own sight of a capture: a main-frame load of the callback page in a tab where
   * one of our flows waits; the host's `complete` starts now (CallbackDelivery.fromNavigation).
   * Returns whether it was sent.
   */
  handleCapturedNavigation(tabId: number, url: string): boolean {
    return this.delivery.fromNavigation(tabId, url);
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
      await this.endings.tabClosed(flow.tabId!);
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
  handleSettledByHost(state: string, outcome: { result: CompleteResult } | { error: HostError }): Promise<boolean> {
    return this.endings.settledByHost(state, outcome);
  }

  /** A closed login tab ends its flow; the host's state then simply expires. */
  handleTabClosed(tabId: number): Promise<void> {
    return this.endings.tabClosed(tabId);
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
    this.endings.expireLater(flow);
    try {
      await this.deps.tabs.navigate(tabId, begun.authorizeUrl);
    } catch (error) {
      const message = `Could not open the sign-in page (${errorText(error)}). Try again.`;
      await this.endings.withoutCallback(flow, { name: 'TabFailed', message }, false);
      throw new ExtensionError('TabFailed', message);
    }
    this.deps.log?.(`flow ${flow.flowId}: waiting for the callback in tab ${tabId}`);
    return waitingForSignInSummary({ ...b, now: this.deps.now(), authorizeUrl: begun.authorizeUrl, expiresAt: begun.expiresAt }, this.formatTime);
  }

  // Runs synchronously up to the host call, inside PendingFlows.deliver (see there).
  private complete(flow: PendingFlow, query: string): Promise<ResultSummary> {
    const b: SummaryBase = { flowId: flow.flowId, serverUrl: flow.serverUrl, startedAt: flow.startedAt, now: this.deps.now() };
    this.endings.clearExpiry(flow);
    // "Finishing…" is recorded only when the host takes long enough for anyone to see it (a
    // keychain waiting to be unlocked, a slow provider): recorded at once, its storage write and
    // the popup's redraw competed for the CPU with the host's own work on the login's critical
    // path, only to be replaced a moment later.
    let finishing: Promise<void> | undefined;
    const finishingTimer = this.deps.setTimer(() => {
      finishing = this.save(finishingSummary(b));
    }, FINISHING_SHOWN_AFTER_MS);
    const outcome = this.askHost(flow, query, b);
    // The callback page gets the outcome as soon as the host answers: removing the capture rule
    // and recording the result (three browser round trips, and the popup redrawing on the
    // storage change) follow it rather than hold it up. The save follows a `finishing` one,
    // which it must replace.
    void outcome.then(async (summary) => {
      this.deps.clearTimer(finishingTimer);
      // After a turn of the event loop: the page's answer (a continuation of this same promise,
      // further down the chain) is then posted to the browser before these three calls, which
      // the browser would otherwise handle first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await Promise.all([this.endings.disarm(flow), (finishing ?? Promise.resolve()).then(() => this.save(summary))]);
      this.endings.forgetLater(flow);
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

  private save(summary: ResultSummary): Promise<void> {
    return this.endings.save(summary);
  }
}

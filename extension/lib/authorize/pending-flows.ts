/**
 * Logins begun and waiting for their callback, keyed by OAuth `state`, and the dedupe of callbacks.
 * Chromium sometimes navigates to a callback twice; the host accepts a state once, so a second
 * delivery must not reach it. It gets the first delivery's outcome instead.
 *
 * The two ways a captured callback reaches the background, and the checks that decide whether it
 * goes to the host: the background's own sight of the callback page loading in a login's tab
 * (first, as a rule), and the callback page's message (which then gets the same outcome). Each
 * state goes to the host once (PendingFlows.deliver); a callback for a state this extension did
 * not begin, or from anywhere but the top frame of the flow's own tab, never reaches it.
 */
import { LIMITS } from '../../../shared/protocol';
import { errorSummary, type ResultSummary } from '../ui/result-summary';
import { mark } from './timing-marks';

export interface PendingFlow {
  /** Our id for the attempt, shared with its result summaries. */
  flowId: string;
  state: string;
  serverUrl: string;
  /** Normalized loopback redirect URI; the callback URL is rebuilt from it. */
  redirectUri: string;
  startedAt: number;
  expiresAt: number;
  tabId?: number;
  ruleId?: number;
  /** Provider rules the host applied to the authorize request (from `begin`). */
  appliedRules?: string[];
}

export type Delivery<R> =
  | { kind: 'first'; flow: PendingFlow; outcome: Promise<R> }
  | { kind: 'repeat'; flow: PendingFlow; outcome: Promise<R> }
  | { kind: 'unknown' };

interface Entry<R> {
  flow: PendingFlow;
  /** Set by the first delivery, or when the flow ended without one (expired, tab closed). */
  outcome: Promise<R> | null;
}

export class PendingFlows<R> {
  private readonly entries = new Map<string, Entry<R>>();

  add(flow: PendingFlow): void {
    // A reused state would make two flows share one dedupe slot; the host never reuses one.
    if (this.entries.has(flow.state)) throw new Error('the host returned a state that is already in use');
    this.entries.set(flow.state, { flow, outcome: null });
  }

  get(state: string): PendingFlow | undefined {
    return this.entries.get(state)?.flow;
  }

  /**
   * Hands a callback for `state` to `complete` the first time; later calls get the same promise.
   * `complete` runs synchronously inside this call, so two deliveries racing in the same tick
   * still call it once.
   */
  deliver(state: string, complete: (flow: PendingFlow) => Promise<R>): Delivery<R> {
    const entry = this.entries.get(state);
    if (!entry) return { kind: 'unknown' };
    if (entry.outcome) return { kind: 'repeat', flow: entry.flow, outcome: entry.outcome };
    entry.outcome = complete(entry.flow);
    return { kind: 'first', flow: entry.flow, outcome: entry.outcome };
  }

  /**
   * Ends a flow that got no callback: later deliveries of its state get `outcome` and are not
   * sent to the host. Returns the flow if it was still waiting, undefined otherwise.
   */
  end(state: string, outcome: R): PendingFlow | undefined {
    const entry = this.entries.get(state);
    if (!entry || entry.outcome) return undefined;
    entry.outcome = Promise.resolve(outcome);
    return entry.flow;
  }

  /** Flows still waiting for their callback in a tab. */
  waitingInTab(tabId: number): PendingFlow[] {
    return [...this.entries.values()].filter((e) => !e.outcome && e.flow.tabId === tabId).map((e) => e.flow);
  }

  /** Flows still waiting for their callback, oldest first. */
  waiting(): PendingFlow[] {
    return [...this.entries.values()].filter((e) => !e.outcome).map((e) => e.flow);
  }

  /** Forgets a state entirely; a later delivery of it is then unknown. */
  forget(state: string): void {
    this.entries.delete(state);
  }

  get size(): number {
    return this.entries.size;
  }
}

// Delivery: which captured callbacks reach the host.

/** Where a callback page runs (from `runtime.MessageSender`); absent for pages outside a tab. */
export interface CallbackSender {
  tabId?: number;
  frameId?: number;
}

export interface CallbackDeliveryDeps {
  /** `browser.runtime.getURL('/callback.html')`: where the capture rule sends the callback. */
  callbackPageUrl: string;
  now(): number;
  newFlowId(): string;
  /** Diagnostics: flow ids and step names only; never a URL with a code or state. */
  log?: (message: string) => void;
}

/** Hands a flow's callback query to the host; runs synchronously up to the host call (see PendingFlows.deliver). */
export type SendToHost = (flow: PendingFlow, query: string) => Promise<ResultSummary>;

export class CallbackDelivery {
  /** States the background sent to the host before their callback page asked (one entry each, until the page does). */
  private readonly sentWhileLoading = new Set<string>();

  constructor(
    private readonly deps: CallbackDeliveryDeps,
    private readonly flows: PendingFlows<ResultSummary>,
    private readonly send: SendToHost,
  ) {}

  /**
   * A captured callback's query string (from the callback page), and where that page runs. The
   * first delivery of a state goes to the host; repeats get the same outcome. Callbacks for states
   * we did not begin, or delivered from anywhere but the top frame of the flow's own tab, are
   * refused here and never reach the host.
   */
  fromPage(query: string, from: CallbackSender): Promise<ResultSummary> {
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
    // like fromNavigation's check, and its sender learns nothing of the flow.
    const flow = this.flows.get(state);
    const fromFlowTab = flow !== undefined && from.frameId === 0 && from.tabId !== undefined && flow.tabId === from.tabId;
    const delivery = fromFlowTab ? this.flows.deliver(state, (f) => this.send(f, query)) : ({ kind: 'unknown' } as const);
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
  fromNavigation(tabId: number, url: string): boolean {
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
    const delivery = this.flows.deliver(state, (flow) => this.send(flow, query));
    if (delivery.kind !== 'first') return false;
    this.sentWhileLoading.add(state);
    this.deps.log?.(`flow ${delivery.flow.flowId}: callback captured in its tab; sent to the host while the callback page loads`);
    void delivery.outcome;
    return true;
  }

  /** A flow forgotten: a page that never asked for its state (closed, scripts off) is not waited for. */
  forget(state: string): void {
    this.sentWhileLoading.delete(state);
  }
}

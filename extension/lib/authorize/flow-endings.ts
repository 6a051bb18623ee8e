/**
 * How a login the extension started ends, and what every ending does. Without a callback of its
 * own: its time runs out, its tab closes, its tab cannot be sent to the provider, or the host's
 * loopback listener completed it (`flowSettled`). Whatever the ending, a captured one included:
 * the expiry timer is cleared, the capture rule removed, the result saved for the popup, and the
 * state remembered for a while so a late duplicate still gets the outcome.
 */
import { errorText } from '../../../shared/errors';
import { LIMITS, type CompleteResult } from '../../../shared/protocol';
import { toDisplayError, type HostError } from '../extension-errors';
import { completedSummary, errorSummary, type FormatTime, type ResultSummary, type SummaryBase } from '../ui/result-summary';
import type { PendingFlow, PendingFlows } from './pending-flows';

export interface FlowEndingDeps {
  capture: { disarm(ruleId: number): Promise<void> };
  results: { save(summary: ResultSummary): Promise<void> };
  now(): number;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /** Diagnostics: flow ids and step names only; never a URL with a code or state. */
  log?: (message: string) => void;
  /** How long a finished flow's state is remembered, so late duplicates still get its outcome. */
  rememberMs?: number;
}

/** Why a flow ended with no callback of its own. */
export type EndedWithoutCallback = { name: 'FlowExpired' | 'FlowCancelled' | 'TabFailed'; message: string };

/** A capture rule never outlives this, whatever expiry the host names. */
const MAX_CAPTURE_MS = 2 * LIMITS.flowTtlMs;

export class FlowEndings {
  private readonly expiryTimers = new Map<string, unknown>();

  constructor(
    private readonly deps: FlowEndingDeps,
    private readonly flows: PendingFlows<ResultSummary>,
    private readonly formatTime: FormatTime,
    /** Called when a flow's state is forgotten, for what else remembers it. */
    private readonly onForget: (state: string) => void,
  ) {}

  /** Ends `flow` when the host's expiry for it passes (or MAX_CAPTURE_MS, if sooner). */
  expireLater(flow: PendingFlow): void {
    const ttl = Math.min(Math.max(flow.expiresAt - this.deps.now(), 0), MAX_CAPTURE_MS);
    this.expiryTimers.set(flow.state, this.deps.setTimer(() => void this.expire(flow), ttl));
  }

  /**
   * The host completed one of our flows itself (`flowSettled` push): its loopback listener got
   * the callback because the capture missed it, e.g. the user finished the sign-in in another
   * browser. The flow ends with the host's outcome instead of expiring later; the login tab is
   * left as it is (the user may still be reading it). `outcome` is already validated. Returns
   * whether a waiting flow ended.
   */
  async settledByHost(state: string, outcome: { result: CompleteResult } | { error: HostError }): Promise<boolean> {
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
  async tabClosed(tabId: number): Promise<void> {
    for (const flow of this.flows.waitingInTab(tabId)) {
      await this.withoutCallback(flow, {
        name: 'FlowCancelled',
        message: `The sign-in tab for ${flow.serverUrl} was closed before the login finished. Click Authorize to start again.`,
      });
    }
  }

  async withoutCallback(flow: PendingFlow, error: EndedWithoutCallback, save = true): Promise<void> {
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

  async disarm(flow: PendingFlow): Promise<void> {
    if (flow.ruleId === undefined) return;
    try {
      await this.deps.capture.disarm(flow.ruleId);
    } catch (error) {
      this.deps.log?.(`flow ${flow.flowId}: could not remove capture rule ${flow.ruleId}: ${errorText(error)}`);
    }
  }

  clearExpiry(flow: PendingFlow): void {
    const timer = this.expiryTimers.get(flow.state);
    if (timer !== undefined) this.deps.clearTimer(timer);
    this.expiryTimers.delete(flow.state);
  }

  forgetLater(flow: PendingFlow): void {
    this.deps.setTimer(() => {
      this.flows.forget(flow.state);
      this.onForget(flow.state);
    }, this.deps.rememberMs ?? LIMITS.flowTtlMs);
  }

  /** Records a result for the popup; a failure costs only the popup's history an entry. */
  async save(summary: ResultSummary): Promise<void> {
    try {
      await this.deps.results.save(summary);
    } catch (error) {
      // The login itself is unaffected; only the popup's history misses an entry.
      this.deps.log?.(`could not record the result of flow ${summary.flowId}: ${errorText(error)}`);
    }
  }

  private async expire(flow: PendingFlow): Promise<void> {
    await this.withoutCallback(flow, {
      name: 'FlowExpired',
      message: `The login to ${flow.serverUrl} expired at ${this.formatTime(flow.expiresAt)} before the sign-in came back. Click Authorize to start again.`,
    });
  }
}

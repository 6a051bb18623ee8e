/**
 * Logins begun and waiting for their callback, keyed by OAuth `state`, and the dedupe of callbacks.
 * Chromium sometimes navigates to a callback twice; the host accepts a state once, so a second
 * delivery must not reach it. It gets the first delivery's outcome instead.
 */

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

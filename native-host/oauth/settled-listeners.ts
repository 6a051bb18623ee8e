/**
 * LoginService's one event, "a flow ended", and who listens to it: the bridge's `login` (to answer
 * its CLI), the CLI's own login and `connect` (to stop waiting), the native host (to push
 * `flowSettled` to the extension when the loopback listener finished one of its flows).
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { CompleteResult } from '../../shared/protocol';

/** How a flow ended: its result, or the error that ended it. */
export type FlowOutcome = { result: CompleteResult; error?: undefined } | { result?: undefined; error: unknown };

/** Who brought a flow's callback to `complete`: the extension's `complete` message, or the host's loopback listener. */
export type CallbackCarrier = 'extension' | 'loopback';

/**
 * A flow the host began has ended: a callback for it was redeemed or refused, or the host called
 * it off. `via` says who brought the callback; absent, the caller of `complete` brought it itself
 * (a pasted address), or nobody did (a flow called off). A callback whose state this host never
 * issued, or one for a flow that already ended (its callback used, or called off), is no news and
 * sends nothing; a flow found expired is told with each late callback; a flow its owner cancels
 * ends silently (the owner knows).
 */
export interface FlowSettled {
  state: string;
  outcome: FlowOutcome;
  via?: CallbackCarrier;
}

export class SettledListeners {
  readonly #listeners = new Set<(event: FlowSettled) => void>();
  /** The errors flows were called off with: a callback that gets one later ends nothing. */
  readonly #calledOff = new WeakSet<object>();

  /** Calls `listener` with every FlowSettled event. Returns a function that removes it. */
  add(listener: (event: FlowSettled) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Calls `listener` once, with how the flow `state` ends. Returns a function that removes it. */
  once(state: string, listener: (outcome: FlowOutcome) => void): () => void {
    const dispose = this.add((event) => {
      if (event.state !== state) return;
      dispose();
      listener(event.outcome);
    });
    return dispose;
  }

  /** How many are listening (for tests and diagnostics). */
  get size(): number {
    return this.#listeners.size;
  }

  /** `complete(callbackUrl)` ended with `outcome`: tells the listeners if that ended a flow (see FlowSettled). */
  completed(callbackUrl: string, outcome: FlowOutcome, via: CallbackCarrier | undefined): void {
    const state = stateOf(callbackUrl);
    if (!state || (!outcome.result && !this.#endsTheFlow(outcome.error))) return;
    this.tell({ state, outcome, ...(via ? { via } : {}) });
  }

  /** The host called the waiting flow `state` off with `error`. */
  calledOff(state: string, error: ProtocolError): void {
    this.#calledOff.add(error);
    this.tell({ state, outcome: { error } });
  }

  /**
   * Whether a failed `complete` ended a flow of this host: not when the state was never issued (or
   * its flow was cancelled), nor for a flow that had already ended (its callback used, or the flow
   * called off).
   */
  #endsTheFlow(error: unknown): boolean {
    if (typeof error === 'object' && error !== null && this.#calledOff.has(error)) return false;
    return !(error instanceof ProtocolError && (error.code === ErrorCode.UnknownState || error.code === ErrorCode.StateAlreadyUsed));
  }

  /** Tells every listener; one that throws neither stops the others nor fails the login that ended. */
  tell(event: FlowSettled): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        process.stderr.write(`mcp-login-bridge: a login-settled listener failed: ${(error as Error)?.stack ?? String(error)}\n`);
      }
    }
  }
}

/** The callback's state, or null when it has none (or is no URL): `complete` then says what is wrong. */
function stateOf(callbackUrl: string): string | null {
  try {
    return new URL(callbackUrl).searchParams.get('state');
  } catch {
    return null;
  }
}

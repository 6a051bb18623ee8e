/**
 * A login waits on a person in a browser: the wait ends when the login settles, when its time runs
 * out, or when the person interrupts (Ctrl-C). Whichever comes first cancels the rest.
 */

/** The person interrupted the wait (Ctrl-C); the flow was cancelled. */
export class LoginInterrupted extends Error {
  constructor() {
    super('login cancelled');
  }
}

/** Nobody finished the sign-in in time; the flow was cancelled. */
export class LoginTimedOut extends Error {
  constructor(readonly seconds: number) {
    super(`no callback from the browser within ${seconds} s; run login again`);
  }
}

/**
 * Subscribes to the person's interrupt while a login waits; returns the unsubscribe. The CLI's is
 * SIGINT: subscribed only during the wait, so a Ctrl-C before it (or after) ends the process as usual.
 */
export type InterruptSource = (onInterrupt: () => void) => () => void;

/**
 * Runs `work` until it settles, the time limit (started by calling `startTimer`, once the
 * sign-in is open) runs out, or an interrupt. `cancel` is called on the latter two, before the
 * promise rejects with LoginTimedOut or LoginInterrupted.
 */
export function withinTimeLimit<T>(
  work: (startTimer: () => void) => Promise<T>,
  timeoutMs: number,
  cancel: () => void,
  interrupts?: InterruptSource,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    let unsubscribe: (() => void) | undefined;
    // Whichever comes first ends the wait and leaves nothing behind that keeps the process alive.
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe?.();
      finish();
    };
    unsubscribe = interrupts?.(() => {
      cancel();
      settle(() => reject(new LoginInterrupted()));
    });
    const startTimer = () => {
      if (settled) return;
      // Referenced on purpose: it is what keeps the process alive while the browser works.
      timer ??= setTimeout(() => {
        cancel();
        settle(() => reject(new LoginTimedOut(timeoutMs / 1000)));
      }, timeoutMs);
    };
    work(startTimer).then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}

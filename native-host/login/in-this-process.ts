/**
 * The login in this process, when no browser's extension does it: this process discovers and
 * begins the flow, listens on its own loopback port for the callback, and hands the default
 * browser a one-time start link (or, with no browser, reads the address the sign-in ended on
 * from a paste). The callback completes the flow exactly as one the extension forwards would.
 */
import type { CompleteResult } from '../../shared/protocol';
import type { LoginDeps, LoginReporter, LoginRequest } from './login-request';
import { askForCallback } from './pasted-callback';
import { withinTimeLimit } from './time-limit';

export async function loginInThisProcess(request: LoginRequest, deps: LoginDeps, report: LoginReporter): Promise<CompleteResult> {
  const paste = request.use === 'paste' ? request.paste : undefined;
  if (request.use === 'paste' && !paste) throw new Error('a pasted login needs somewhere to read the address from');
  const ctx = deps.hostContext();
  let pasted: ReturnType<typeof askForCallback> | undefined;
  try {
    report.lookingUp?.();
    const begun = await ctx.login.begin(request.serverUrl, {
      ...(request.clients ? { clients: request.clients } : {}),
      ...(request.writeConfig ? { writeConfig: true } : {}),
      ...(request.scopes ? { scopes: request.scopes } : {}),
    });
    if (begun.appliedRules.length) report.rulesApplied?.(begun.appliedRules);
    return await withinTimeLimit(
      async (startTimer) => {
        const result = new Promise<CompleteResult>((resolve, reject) => {
          ctx.login.onceSettled(begun.state, (outcome) => (outcome.result ? resolve(outcome.result) : reject(outcome.error)));
          if (paste) {
            report.opened?.({ via: 'paste', authorizeUrl: begun.authorizeUrl, redirectUri: begun.redirectUri });
            pasted = askForCallback(paste.input, paste.prompt, begun);
            // Its outcome arrives through onceSettled; a paste the login refuses is reported here.
            pasted.callback.then((text) => ctx.login.complete(text)).catch(reject);
          }
        });
        startTimer();
        if (paste) return result;
        // The opener's command line is visible to every user of the machine: it gets a one-time
        // start link, not the authorize URL (launch-links.ts).
        const link = await ctx.listener.launchUrl(begun.state, begun.authorizeUrl);
        report.opened?.({ via: 'system-browser', link });
        if (!(await deps.openBrowser(link))) report.browserNotOpened?.();
        report.waiting?.();
        return result;
      },
      request.timeoutMs,
      () => ctx.login.cancel(begun.state),
      request.interrupts,
    );
  } finally {
    pasted?.close();
    await ctx.close();
  }
}

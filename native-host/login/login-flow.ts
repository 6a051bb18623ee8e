/**
 * A login started from this process (the `login` command, or `connect` when it has none): the one
 * place that decides the route. Through the running browser's extension when one answers (the
 * user's real profile, over the loopback bridge), else in this process: the default browser with
 * this process's loopback listener, or, with `use: 'paste'`, no browser at all and the callback
 * pasted. What the person sees is the caller's (`LoginReporter`): the CLI draws progress on a
 * terminal, `connect` writes quiet lines to the MCP client's log.
 */
import { BridgeClient, chooseBridge } from '../bridge/bridge-client';
import { applyClientAdvice } from '../clients/client-logins';
import { clientAdapters } from '../clients/registry';
import { createHostContext } from '../host-context';
import { openInSystemBrowser } from '../open-browser';
import { BridgeStore } from '../stores/bridge-store';
import { loginInThisProcess } from './in-this-process';
import type { LoginDeps, LoginOutcome, LoginRequest } from './login-request';
import { loginThroughExtension, openExtensionBridge } from './through-extension';

export { LoginInterrupted, LoginTimedOut, type InterruptSource } from './time-limit';
export type { LoginDeps, LoginOutcome, LoginReporter, LoginRequest, SignInOpened } from './login-request';

export function defaultLoginDeps(): LoginDeps {
  return {
    chooseBridge: (browser) => chooseBridge(browser),
    connectBridge: (found) => BridgeClient.connect(found),
    hostContext: () => createHostContext(),
    openBrowser: openInSystemBrowser,
    store: () => new BridgeStore(),
    adapters: () => clientAdapters(),
  };
}

export async function runLoginFlow(request: LoginRequest, deps: LoginDeps = defaultLoginDeps()): Promise<LoginOutcome> {
  const report = request.report ?? {};
  try {
    if (request.use === 'auto') {
      const bridge = await openExtensionBridge(request, deps, report);
      if (bridge) {
        let result = await loginThroughExtension(bridge, request, report);
        // --write-config does not travel over the bridge (see BridgeLoginRequest): the browser's host
        // only said which settings a client's config lacks; this process adds them, from the bridge's entry.
        if (request.writeConfig) result = await applyClientAdvice(result, () => deps.store().read(request.serverUrl), deps.adapters());
        return { result, via: 'extension' };
      }
    }
    return { result: await loginInThisProcess(request, deps, report), via: 'system-browser' };
  } finally {
    report.settled?.();
  }
}

/**
 * The login through a running browser's extension: this process finds the browser's host by its
 * runtime file, proves itself over the loopback bridge, and asks it to open the sign-in as a tab of
 * that browser (the user's real profile). The host does the OAuth steps and writes the stores; this
 * process only waits for the summary.
 */
import { BRIDGE_CAPABILITIES } from '../../shared/bridge-protocol';
import type { CompleteResult } from '../../shared/protocol';
import type { BridgeClient } from '../bridge/bridge-client';
import { terminalSafe } from '../terminal-text';
import type { LoginDeps, LoginReporter, LoginRequest } from './login-request';
import { withinTimeLimit } from './time-limit';

/**
 * A request field an older host would ignore rather than refuse, and what that host cannot do: it
 * must list the capability before the login goes through it (a host started before an upgrade
 * keeps running the old version until the browser restarts it).
 */
const NEEDS: { field: 'clients' | 'scopes'; capability: string; cannot: string }[] = [
  { field: 'clients', capability: BRIDGE_CAPABILITIES.loginClients, cannot: 'cannot limit a login to --client targets' },
  { field: 'scopes', capability: BRIDGE_CAPABILITIES.loginScopes, cannot: 'cannot ask for more scopes' },
];

/**
 * A running browser host that answers and can do what `request` asks, or undefined: then the
 * login runs in this process. With `request.browser` (the person named one), a browser that is not
 * running, does not answer or is too old is an error instead.
 */
export async function openExtensionBridge(request: LoginRequest, deps: LoginDeps, report: LoginReporter): Promise<BridgeClient | undefined> {
  const named = request.browser;
  const { chosen, running } = await deps.chooseBridge(named);
  if (!chosen) {
    if (named === undefined) return undefined;
    throw new BrowserNotRunning(
      `no browser with the extension is running as "${named}"` +
        (running.length ? `; running: ${[...new Set(running.map((b) => b.browser))].join(', ')}` : '; none is running (open the browser, or leave out --browser)'),
    );
  }
  let hello: Awaited<ReturnType<BridgeClient['hello']>>;
  let client: BridgeClient;
  try {
    client = await deps.connectBridge(chosen);
    try {
      hello = await client.hello();
    } catch (err) {
      client.close();
      throw err;
    }
  } catch (err) {
    if (named !== undefined) throw err;
    report.fallback?.(terminalSafe(`The extension in ${chosen.browser} did not answer (${(err as Error).message}); using your default browser instead.`));
    return undefined;
  }
  const lacking = NEEDS.find((need) => request[need.field] && !hello.capabilities.includes(need.capability));
  if (lacking) {
    client.close();
    const why = `the host in ${terminalSafe(chosen.browser)} (mcp-login-bridge ${terminalSafe(hello.hostVersion)}) ${lacking.cannot}`;
    if (named !== undefined) {
      throw new Error(`${why}; restart ${terminalSafe(chosen.browser)} so it starts the installed host, or leave out --browser to use your default browser`);
    }
    report.fallback?.(`Not using the extension: ${why}; using your default browser instead (restart the browser to update its host).`);
    return undefined;
  }
  return client;
}

/** `--browser` named a browser that is not running with the extension: a mistake in the command line. */
export class BrowserNotRunning extends Error {}

export async function loginThroughExtension(client: BridgeClient, request: LoginRequest, report: LoginReporter): Promise<CompleteResult> {
  const browser = client.info.browser === 'unknown' ? 'your browser' : terminalSafe(client.info.browser);
  report.lookingUp?.(browser);
  try {
    return await withinTimeLimit(
      (startTimer) =>
        client.login(
          request.serverUrl,
          ({ flow }) => {
            // Everything in `flow` came from the host: the reporter prints it terminal-safe.
            if (flow.appliedRules.length) report.rulesApplied?.(flow.appliedRules);
            report.opened?.({ via: 'extension', browser, authorizeUrl: flow.authorizeUrl });
            report.waiting?.();
            startTimer();
          },
          { ...(request.clients ? { clients: request.clients } : {}), ...(request.scopes ? { scopes: request.scopes } : {}) },
        ),
      request.timeoutMs,
      () => client.close(),
      request.interrupts,
    );
  } finally {
    client.close();
  }
}

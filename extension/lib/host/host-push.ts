/**
 * The host's unsolicited messages (PROTOCOL.md "Host → extension pushes"):
 * - `openLogin`, sent when a CLI asked the host, over its loopback bridge, to log in through this
 *   browser;
 * - `flowSettled`, sent when the host's loopback listener finished a flow (the capture missed the
 *   callback), so our flow ends with that outcome instead of expiring.
 * Each is validated like any host answer before it is acted on; anything else is ignored and
 * logged by name only.
 */
import { LIMITS, type BeginResult, type CompleteResult } from '../../../shared/protocol';
import { HostError, toDisplayError } from '../extension-errors';
import { parseBeginResult } from './begin-result';
import { parseCompleteResult } from './complete-result';
import { parseErrorBody } from './host-responses';

export interface HostPushDeps {
  flows: {
    openHostFlow(serverUrl: string, begun: BeginResult): Promise<unknown>;
    handleSettledByHost(state: string, outcome: { result: CompleteResult } | { error: HostError }): Promise<unknown>;
  };
  now(): number;
  /** Diagnostics: push names and error names only, never a URL. */
  log?: (message: string) => void;
}

export async function handleHostPush(message: unknown, deps: HostPushDeps): Promise<void> {
  const m = message as Record<string, unknown>;
  if (m.push === 'flowSettled') return handleFlowSettled(m, deps);
  if (m.push !== 'openLogin') {
    deps.log?.(`native host: ignored an unknown push ${JSON.stringify(String(m.push)).slice(0, 40)}`);
    return;
  }
  const serverUrl = m.serverUrl;
  if (typeof serverUrl !== 'string' || serverUrl.length === 0 || serverUrl.length > LIMITS.maxUrlLength) {
    deps.log?.('native host: ignored an openLogin push without a valid "serverUrl"');
    return;
  }
  let begun: BeginResult;
  try {
    begun = parseBeginResult(m.flow, deps.now());
  } catch (error) {
    deps.log?.(`native host: ignored an invalid openLogin push (${toDisplayError(error).name})`);
    return;
  }
  deps.log?.('native host: opening a login a CLI asked for');
  await deps.flows.openHostFlow(serverUrl, begun);
}

async function handleFlowSettled(m: Record<string, unknown>, deps: HostPushDeps): Promise<void> {
  const state = m.state;
  if (typeof state !== 'string' || state.length === 0 || state.length > LIMITS.maxStateLength) {
    deps.log?.('native host: ignored a flowSettled push without a valid "state"');
    return;
  }
  let outcome: { result: CompleteResult } | { error: HostError };
  try {
    if ((m.result === undefined) === (m.error === undefined)) throw new Error('needs exactly one of "result" and "error"');
    if (m.result !== undefined) {
      outcome = { result: parseCompleteResult(m.result) };
    } else {
      const e = parseErrorBody(m.error);
      outcome = { error: new HostError(e.code, e.name, e.message) };
    }
  } catch (error) {
    // The name only: the message of a failed check could quote host text.
    deps.log?.(`native host: ignored an invalid flowSettled push (${toDisplayError(error).name})`);
    return;
  }
  // The state is not logged: states never reach logs. Unknown states are no flow of ours.
  await deps.flows.handleSettledByHost(state, outcome);
}

/**
 * Opens the native port now, so the host (and its bridge, which `mcp-login-bridge login` looks
 * for) runs while the browser does; an open native port also keeps the service worker alive.
 * Failures are logged only: the popup reports them when the user acts.
 */
export function connectHostNow(host: { hello(): Promise<{ hostVersion: string }> }, log?: (message: string) => void): Promise<void> {
  return host.hello().then(
    (hello) => log?.(`native host ${hello.hostVersion} connected`),
    (error: unknown) => log?.(`native host not reachable at startup (${toDisplayError(error).name})`),
  );
}

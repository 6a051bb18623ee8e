/**
 * The host's unsolicited messages (PROTOCOL.md "Host → extension pushes"). Today one: `openLogin`,
 * sent when a CLI asked the host, over its loopback bridge, to log in through this browser. The
 * push is validated like any host answer before a tab is opened for it; anything else is ignored
 * and logged by name only.
 */
import { LIMITS, type BeginResult } from '../../shared/protocol';
import { toDisplayError } from './extension-errors';
import { parseBeginResult } from './host-responses';

export interface HostPushDeps {
  flows: { openHostFlow(serverUrl: string, begun: BeginResult): Promise<unknown> };
  now(): number;
  /** Diagnostics: push names and error names only, never a URL. */
  log?: (message: string) => void;
}

export async function handleHostPush(message: unknown, deps: HostPushDeps): Promise<void> {
  const m = message as Record<string, unknown>;
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

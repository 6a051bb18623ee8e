/**
 * The `flowSettled` push (PROTOCOL.md "Host → extension pushes"): when the host's own loopback
 * listener finishes a flow, the extension that opened the login tab would otherwise keep waiting
 * for a callback that never comes and report the login as expired. It gets the outcome instead.
 */
import { ErrorCode, ProtocolError, errorName } from '../../shared/errors';
import type { CompleteResult, FlowSettledPush, HostPush } from '../../shared/protocol';
import type { LoginService } from '../oauth/login-service';

/**
 * The push for one callback the loopback listener handled, or undefined when there is nothing to
 * tell: no state, or a state this host never issued (anyone on this machine can send the port a
 * request; those are no flow's outcome). Errors are reduced to their protocol fields, which never
 * carry a secret; anything that is not a ProtocolError becomes a generic Internal.
 */
export function flowSettledPush(state: string | null, outcome: { result?: CompleteResult; error?: unknown }): FlowSettledPush | undefined {
  if (!state) return undefined;
  if (outcome.result) return { push: 'flowSettled', state, result: outcome.result };
  const err = outcome.error;
  if (err instanceof ProtocolError) {
    if (err.code === ErrorCode.UnknownState) return undefined;
    return { push: 'flowSettled', state, error: { code: err.code, name: errorName(err.code), message: err.message } };
  }
  return {
    push: 'flowSettled',
    state,
    error: { code: ErrorCode.Internal, name: 'Internal', message: 'internal error in the host; see its stderr' },
  };
}

/**
 * Sends `flowSettled` for every flow the loopback listener finishes (LoginService's settled event
 * with `via: 'loopback'`); the flows the extension completes itself it already knows about.
 * Returns a function that stops it.
 */
export function pushFlowsSettledByListener(login: Pick<LoginService, 'onSettled'>, push: (message: HostPush) => void): () => void {
  return login.onSettled(({ state, outcome, via }) => {
    if (via !== 'loopback') return;
    const message = flowSettledPush(state, outcome);
    try {
      if (message) push(message);
    } catch (err) {
      // The login itself is done; only the extension's view of it is lost (it will say expired).
      process.stderr.write(`mcp-login-bridge: could not tell the extension a login finished: ${(err as Error).message}\n`);
    }
  });
}

/**
 * The `flowSettled` push (PROTOCOL.md "Host → extension pushes"): when the host's own loopback
 * listener finishes a flow, the extension that opened the login tab would otherwise keep waiting
 * for a callback that never comes and report the login as expired. It gets the outcome instead.
 */
import { ErrorCode, ProtocolError, errorName } from '../../shared/errors';
import type { CompleteResult, FlowSettledPush } from '../../shared/protocol';

/**
 * The push for one callback the loopback listener handled, or undefined when there is nothing to
 * tell: no state, or a state this host never issued (anyone on this machine can send the port a
 * request; those are no flow's outcome). Errors are reduced to their protocol fields, which never
 * carry a secret; anything that is not a ProtocolError becomes a generic Internal.
 */
export function flowSettledPush(state: string | null, outcome: { result?: CompleteResult; error?: Error }): FlowSettledPush | undefined {
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

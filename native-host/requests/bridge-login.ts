/**
 * A CLI `login` sent over the bridge (PROTOCOL.md "Bridge"): the flow begins in this host, the
 * extension is asked (an `openLogin` push) to open and capture it like one of its own, an
 * `opening` event tells the CLI, and the answer is the flow's outcome, whoever delivers its callback.
 */
import { BRIDGE_LIMITS, type BridgeLoginRequest } from '../../shared/bridge-protocol';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { BeginResult, CompleteResult } from '../../shared/protocol';
import type { FlowOutcome } from '../oauth/login-service';
import type { BridgeLogins, BridgeSession } from './handler';

export function newBridgeLogins(isOpen: () => boolean): BridgeLogins {
  return { waiting: new Map(), beginning: 0, isOpen };
}

/** The connection closed: its CLI is gone, so the flows begun for it are cancelled. */
export function abandonBridgeLogins(session: BridgeSession): void {
  for (const [state, abandon] of session.logins.waiting) {
    session.ctx.login.cancel(state);
    abandon();
  }
  session.logins.waiting.clear();
}

export async function handleBridgeLogin(request: BridgeLoginRequest, session: BridgeSession): Promise<CompleteResult> {
  const { ctx, logins } = session;
  if (logins.waiting.size + logins.beginning >= BRIDGE_LIMITS.maxLoginsPerConnection) {
    throw new ProtocolError(ErrorCode.InvalidField, `at most ${BRIDGE_LIMITS.maxLoginsPerConnection} logins at a time per connection`);
  }
  // The flow keeps the CLI's choice of clients until its callback, whoever delivers that.
  let flow: BeginResult;
  logins.beginning++;
  try {
    flow = await ctx.login.begin(request.serverUrl, {
      ...(request.clients ? { clients: request.clients } : {}),
      ...(request.scopes ? { scopes: request.scopes } : {}),
    });
  } finally {
    // Synchronously followed by the `waiting.set` below: the slot passes from one count to the other.
    logins.beginning--;
  }
  const abandoned = () => new ProtocolError(ErrorCode.UnknownState, 'the login was abandoned by its CLI');
  // The CLI may have gone (Ctrl-C during discovery) while `begin` ran: the close handler could
  // not abandon a flow that was not registered yet, so forget it here and open no tab for a
  // login the user already cancelled. Nobody is left to read the error.
  if (!logins.isOpen()) {
    ctx.login.cancel(flow.state);
    throw abandoned();
  }
  const outcome = new Promise<FlowOutcome>((resolve) => {
    const dispose = ctx.login.onceSettled(flow.state, resolve);
    logins.waiting.set(flow.state, () => {
      dispose();
      resolve({ error: abandoned() });
    });
  });
  session.touch();
  // The extension opens the tab and arms the capture exactly as for its own flows; its
  // `complete` (or the loopback listener, if the user finishes elsewhere) settles the flow.
  session.push({ push: 'openLogin', serverUrl: request.serverUrl, flow });
  session.send({ id: request.id, event: 'opening', flow });
  const settled = await outcome;
  logins.waiting.delete(flow.state);
  if (!settled.result) throw settled.error;
  return settled.result;
}

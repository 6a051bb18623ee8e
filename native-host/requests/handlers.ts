/**
 * Every message the host answers, by channel and type: how it is validated (the parsers in
 * shared/, the code form of PROTOCOL.md) and which handler answers it. The native-messaging loop
 * and the loopback bridge both dispatch through this table (dispatch.ts); a type missing here is
 * refused as unknown, and the compiler insists every protocol type has its entry.
 */
import { BRIDGE_REQUEST_PARSERS, unknownBridgeRequestType, type BridgeRequest } from '../../shared/bridge-protocol';
import { REQUEST_PARSERS, unknownRequestType, type Request } from '../../shared/protocol';
import { handleBegin } from './begin';
import { handleBridgeHello } from './bridge-hello';
import { handleBridgeLogin } from './bridge-login';
import { handleComplete } from './complete';
import type { BridgeSession, HandlerTable, NativeSession } from './handler';
import { handleHello } from './hello';
import { handleLogout } from './logout';
import { handleStatus } from './status';

export interface Channels {
  /** The extension, over native messaging (PROTOCOL.md "Messages"). */
  native: { session: NativeSession; handlers: HandlerTable<NativeSession, Request> };
  /** A CLI process, over the loopback bridge (PROTOCOL.md "Bridge"). */
  bridge: { session: BridgeSession; handlers: HandlerTable<BridgeSession, BridgeRequest> };
}

export type Channel = keyof Channels;

export const HANDLERS: { [C in Channel]: { handlers: Channels[C]['handlers']; unknownType: (type: unknown) => never } } = {
  native: {
    handlers: {
      hello: { parse: REQUEST_PARSERS.hello, handle: (_request, { ctx }) => handleHello(ctx) },
      begin: { parse: REQUEST_PARSERS.begin, handle: (request, { ctx }) => handleBegin(ctx, request) },
      complete: { parse: REQUEST_PARSERS.complete, handle: (request, { ctx }) => handleComplete(ctx, request) },
      status: { parse: REQUEST_PARSERS.status, handle: (_request, { ctx }) => handleStatus(ctx) },
      logout: { parse: REQUEST_PARSERS.logout, handle: (request, { ctx }) => handleLogout(ctx, request) },
    },
    unknownType: unknownRequestType,
  },
  bridge: {
    handlers: {
      hello: { parse: BRIDGE_REQUEST_PARSERS.hello, handle: (_request, session) => handleBridgeHello(session) },
      login: { parse: BRIDGE_REQUEST_PARSERS.login, handle: handleBridgeLogin },
    },
    unknownType: unknownBridgeRequestType,
  },
};

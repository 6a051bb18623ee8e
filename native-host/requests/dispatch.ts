/**
 * Every message the host answers, and the one dispatcher of both channels: the extension's native
 * messages (PROTOCOL.md "Messages") and a CLI's bridge messages (PROTOCOL.md "Bridge"). The table
 * gives each channel's types, how each is validated (the parsers in shared/, the code form of
 * PROTOCOL.md) and what answers it; a type missing here is refused as unknown, and the compiler
 * insists every protocol type has its entry.
 *
 * Every handler returns data without secrets; errors become numbered ProtocolErrors, anything
 * unexpected becomes Internal with a generic text (the detail goes to stderr, which the browser
 * keeps out of the page).
 */
import { BRIDGE_CAPABILITIES, BRIDGE_REQUEST_PARSERS, unknownBridgeRequestType, type BridgeHelloResult, type BridgeRequest } from '../../shared/bridge-protocol';
import { PROTOCOL_VERSION } from '../../shared/constants';
import { ErrorCode, ProtocolError, errorName } from '../../shared/errors';
import type { HelloResult, Request, Response } from '../../shared/protocol';
import { REQUEST_PARSERS, parserFor, readEnvelope, requestIdOf, unknownRequestType } from '../../shared/request-parsers';
import type { HostContext } from '../host-context';
import { handleBridgeLogin } from './bridge-login';
import type { BridgeSession, Handler, HandlerTable, NativeSession } from './handler';
import { handleLogout } from './logout';
import { handleStatus } from './status';

export interface Channels {
  /** The extension, over native messaging. */
  native: { session: NativeSession; handlers: HandlerTable<NativeSession, Request> };
  /** A CLI process, over the loopback bridge. */
  bridge: { session: BridgeSession; handlers: HandlerTable<BridgeSession, BridgeRequest> };
}

export type Channel = keyof Channels;

export const HANDLERS: { [C in Channel]: { handlers: Channels[C]['handlers']; unknownType: (type: unknown) => never } } = {
  native: {
    handlers: {
      hello: {
        parse: REQUEST_PARSERS.hello,
        handle: async (_request, { ctx }) =>
          ({ hostVersion: ctx.version, protocolVersion: PROTOCOL_VERSION, configRules: (await ctx.loadConfig()).rules }) satisfies HelloResult,
      },
      begin: { parse: REQUEST_PARSERS.begin, handle: (request, { ctx }) => ctx.login.begin(request.serverUrl) },
      complete: { parse: REQUEST_PARSERS.complete, handle: (request, { ctx }) => ctx.login.complete(request.callbackUrl, 'extension') },
      status: { parse: REQUEST_PARSERS.status, handle: (_request, { ctx }) => handleStatus(ctx) },
      logout: { parse: REQUEST_PARSERS.logout, handle: (request, { ctx }) => handleLogout(ctx, request) },
    },
    unknownType: unknownRequestType,
  },
  bridge: {
    handlers: {
      // Who answers: the CLI checks the version and picks a host by browser and capabilities.
      hello: {
        parse: BRIDGE_REQUEST_PARSERS.hello,
        handle: async (_request, { ctx, identity }) => ({
          hostVersion: ctx.version,
          protocolVersion: PROTOCOL_VERSION,
          pid: process.pid,
          browser: identity.browser,
          capabilities: [BRIDGE_CAPABILITIES.loginClients, BRIDGE_CAPABILITIES.loginScopes],
        }) satisfies BridgeHelloResult,
      },
      login: { parse: BRIDGE_REQUEST_PARSERS.login, handle: handleBridgeLogin },
    },
    unknownType: unknownBridgeRequestType,
  },
};

export function errorResponse(id: string, err: unknown): Response {
  if (err instanceof ProtocolError) {
    return { id, ok: false, error: { code: err.code, name: errorName(err.code), message: err.message } };
  }
  process.stderr.write(`mcp-login-bridge: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  return { id, ok: false, error: { code: ErrorCode.Internal, name: 'Internal', message: 'internal error in the host; see its stderr' } };
}

/** Validates a decoded message of `channel`, runs its handler, and always produces a response. */
export async function answer<C extends Channel>(channel: C, session: Channels[C]['session'], message: unknown): Promise<Response> {
  const id = requestIdOf(message);
  try {
    const { fields, id: validId } = readEnvelope(message);
    const { handlers, unknownType } = HANDLERS[channel];
    const handler = (parserFor(handlers, fields.type) as Handler<Channels[C]['session'], unknown, unknown> | undefined) ?? unknownType(fields.type);
    const request = handler.parse(fields, validId);
    return { id, ok: true, data: await handler.handle(request, session) };
  } catch (err) {
    return errorResponse(id, err);
  }
}

/** A native-messaging message from the extension, answered. */
export function respond(ctx: HostContext, message: unknown): Promise<Response> {
  return answer('native', { ctx }, message);
}

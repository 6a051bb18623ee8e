/**
 * The one dispatcher of both channels (handlers.ts). Every handler returns data without secrets;
 * errors become numbered ProtocolErrors, anything unexpected becomes Internal with a generic text
 * (the detail goes to stderr, which the browser keeps out of the page).
 */
import { ErrorCode, ProtocolError, errorName } from '../../shared/errors';
import { parserFor, readEnvelope, requestIdOf, type Response } from '../../shared/protocol';
import type { HostContext } from '../host-context';
import type { Handler } from './handler';
import { HANDLERS, type Channel, type Channels } from './handlers';

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

/**
 * One handler per message type (PROTOCOL.md has one section each). Every handler returns data
 * without secrets; errors become numbered ProtocolErrors, anything unexpected becomes Internal
 * with a generic text (the detail goes to stderr, which the browser keeps out of the page).
 */
import { ErrorCode, ProtocolError, errorName } from '../../shared/errors';
import { parseRequest, requestIdOf, type Request, type Response } from '../../shared/protocol';
import type { HostContext } from '../host-context';
import { handleBegin } from './begin';
import { handleComplete } from './complete';
import { handleHello } from './hello';
import { handleLogout } from './logout';
import { handleStatus } from './status';

export async function handleRequest(ctx: HostContext, request: Request): Promise<unknown> {
  switch (request.type) {
    case 'hello':
      return handleHello(ctx);
    case 'begin':
      return handleBegin(ctx, request);
    case 'complete':
      return handleComplete(ctx, request);
    case 'status':
      return handleStatus(ctx);
    case 'logout':
      return handleLogout(ctx, request);
  }
}

export function errorResponse(id: string, err: unknown): Response {
  if (err instanceof ProtocolError) {
    return { id, ok: false, error: { code: err.code, name: errorName(err.code), message: err.message } };
  }
  process.stderr.write(`mcp-login-bridge: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  return { id, ok: false, error: { code: ErrorCode.Internal, name: 'Internal', message: 'internal error in the host; see its stderr' } };
}

/** Validates a decoded message, runs it, and always produces a response. */
export async function respond(ctx: HostContext, message: unknown): Promise<Response> {
  const id = requestIdOf(message);
  try {
    const request = parseRequest(message);
    return { id, ok: true, data: await handleRequest(ctx, request) };
  } catch (err) {
    return errorResponse(id, err);
  }
}

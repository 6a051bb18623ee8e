import type { BeginRequest, BeginResult } from '../../shared/protocol';
import type { HostContext } from '../host-context';

export function handleBegin(ctx: HostContext, request: BeginRequest): Promise<BeginResult> {
  return ctx.login.begin(request.serverUrl);
}

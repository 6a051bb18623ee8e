import type { CompleteRequest, CompleteResult } from '../../shared/protocol';
import type { HostContext } from '../host-context';

export function handleComplete(ctx: HostContext, request: CompleteRequest): Promise<CompleteResult> {
  return ctx.login.complete(request.callbackUrl, 'extension');
}

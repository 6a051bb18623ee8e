import { PROTOCOL_VERSION } from '../../shared/constants';
import type { HelloResult } from '../../shared/protocol';
import type { HostContext } from '../host-context';

export async function handleHello(ctx: HostContext): Promise<HelloResult> {
  const config = await ctx.loadConfig();
  return { hostVersion: ctx.version, protocolVersion: PROTOCOL_VERSION, configRules: config.rules };
}

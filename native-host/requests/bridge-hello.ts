import { BRIDGE_CAPABILITIES, type BridgeHelloResult } from '../../shared/bridge-protocol';
import { PROTOCOL_VERSION } from '../../shared/constants';
import type { BridgeSession } from './handler';

/** Who answers on the bridge: the CLI checks the version and picks a host by browser and capabilities. */
export async function handleBridgeHello(session: BridgeSession): Promise<BridgeHelloResult> {
  return {
    hostVersion: session.ctx.version,
    protocolVersion: PROTOCOL_VERSION,
    pid: process.pid,
    browser: session.identity.browser,
    capabilities: [BRIDGE_CAPABILITIES.loginClients, BRIDGE_CAPABILITIES.loginScopes],
  };
}

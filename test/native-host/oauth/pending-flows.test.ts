import { describe, expect, it, vi } from 'vitest';
import type { WarmConnection } from '../../../native-host/http/warm-connection';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol';
import { PendingFlows, type PendingFlow } from '../../../native-host/oauth/pending-flows';

function flow(state: string, expiresAt: number): PendingFlow {
  return {
    state,
    serverUrl: 'https://x.test/mcp',
    resource: 'https://x.test/mcp',
    as: { issuer: 'https://as.test' },
    client: { clientId: 'c', tokenEndpointAuthMethod: 'none', source: 'configured' },
    codeVerifier: 'v',
    redirectUri: 'http://127.0.0.1:1/callback',
    scopes: [],
    appliedRules: [],
    expiresAt,
  };
}

describe('PendingFlows', () => {
  it('a flow that ends without its callback closes the connection it opened to the token endpoint; a taken one leaves it to the exchange', () => {
    let now = 0;
    const flows = new PendingFlows(() => now);
    const connections = ['cancelled', 'called-off', 'expired', 'taken'].map((state) => {
      const tokenConnection = { close: vi.fn() } as unknown as WarmConnection & { close: ReturnType<typeof vi.fn> };
      flows.add({ ...flow(state, 1000), tokenConnection });
      return tokenConnection;
    });
    flows.cancel('cancelled');
    flows.callOff('called-off', new ProtocolError(ErrorCode.LoginLinkReused, 'opened twice'));
    expect(flows.take('taken').tokenConnection).toBe(connections[3]);
    now = 2000;
    expect(flows.size).toBe(0);
    expect(connections.map((c) => c.close.mock.calls.length)).toEqual([1, 1, 1, 0]);
  });
  it('hands a flow out exactly once', () => {
    const flows = new PendingFlows(() => 0);
    flows.add(flow('s1', 1000));
    expect(flows.take('s1').state).toBe('s1');
    expect(() => flows.take('s1')).toThrow(expect.objectContaining({ code: ErrorCode.StateAlreadyUsed }));
  });
  it('a flow called off answers its callback, whoever brings it, with the reason; only a waiting one can be', () => {
    const flows = new PendingFlows(() => 0);
    flows.add(flow('s1', 1000));
    const reason = new ProtocolError(ErrorCode.LoginLinkReused, 'opened twice');
    expect(flows.callOff('s1', reason)).toBe(true);
    expect(flows.size).toBe(0);
    expect(() => flows.take('s1')).toThrow(reason);
    expect(() => flows.take('s1')).toThrow(reason);
    expect(flows.callOff('s1', reason)).toBe(false);
    flows.add(flow('s2', 1000));
    flows.take('s2');
    expect(flows.callOff('s2', reason), 'a finished flow stays finished').toBe(false);
    expect(() => flows.take('s2')).toThrow(expect.objectContaining({ code: ErrorCode.StateAlreadyUsed }));
  });
  it('refuses unknown and missing states', () => {
    const flows = new PendingFlows(() => 0);
    expect(() => flows.take('nope')).toThrow(expect.objectContaining({ code: ErrorCode.UnknownState }));
    expect(() => flows.take(null)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidCallback }));
  });
  it('expires flows at their deadline and says so', () => {
    let now = 0;
    const flows = new PendingFlows(() => now);
    flows.add(flow('s1', LIMITS.flowTtlMs));
    expect(flows.size).toBe(1);
    now = LIMITS.flowTtlMs;
    expect(flows.size).toBe(0);
    expect(() => flows.take('s1')).toThrow(expect.objectContaining({ code: ErrorCode.StateExpired }));
  });
  it('forgets a cancelled flow', () => {
    const flows = new PendingFlows(() => 0);
    flows.add(flow('s1', 1000));
    flows.cancel('s1');
    expect(() => flows.take('s1')).toThrow(expect.objectContaining({ code: ErrorCode.UnknownState }));
  });
});

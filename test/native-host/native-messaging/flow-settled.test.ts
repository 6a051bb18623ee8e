import { describe, expect, it, vi } from 'vitest';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import type { CompleteResult, HostPush } from '../../../shared/protocol';
import { flowSettledPush, pushFlowsSettledByListener } from '../../../native-host/native-messaging/flow-settled';
import { SettledListeners } from '../../../native-host/oauth/settled-listeners';

const result: CompleteResult = {
  serverUrl: 'https://mcp.example/mcp',
  issuer: 'https://idp.example',
  stored: [{ target: 'bridge', location: 'keychain' }],
  refreshCapable: true,
  expiresAt: null,
  scope: 'openid',
  timings: { totalMs: 1, tokenEndpointMs: 1, storeMs: 0 },
};

describe('flowSettledPush', () => {
  it('carries the state and the complete result', () => {
    expect(flowSettledPush('st1', { result })).toEqual({ push: 'flowSettled', state: 'st1', result });
  });

  it("carries a protocol error's code, name and message", () => {
    const error = new ProtocolError(ErrorCode.AuthorizationDenied, 'the provider refused the login: access_denied');
    expect(flowSettledPush('st1', { error })).toEqual({
      push: 'flowSettled',
      state: 'st1',
      error: { code: ErrorCode.AuthorizationDenied, name: 'AuthorizationDenied', message: 'the provider refused the login: access_denied' },
    });
  });

  it('hides the text of an unexpected error', () => {
    const push = flowSettledPush('st1', { error: new Error('boom with code=secret') });
    expect(push?.error).toEqual({ code: ErrorCode.Internal, name: 'Internal', message: 'internal error in the host; see its stderr' });
  });

  it('sends nothing without a state, or for a state the host never issued', () => {
    expect(flowSettledPush(null, { result })).toBeUndefined();
    expect(flowSettledPush('forged', { error: new ProtocolError(ErrorCode.UnknownState, 'unknown') })).toBeUndefined();
  });
});

describe('pushFlowsSettledByListener', () => {
  function setUp(push?: (m: HostPush) => void) {
    const listeners = new SettledListeners();
    const pushes: HostPush[] = [];
    const stop = pushFlowsSettledByListener({ onSettled: (l) => listeners.add(l) }, push ?? ((m) => pushes.push(m)));
    return { listeners, pushes, stop };
  }

  it("pushes the flows the loopback listener finished, not the extension's own, a paste's or one called off", () => {
    const { listeners, pushes, stop } = setUp();
    listeners.tell({ state: 'ext', via: 'extension', outcome: { result } });
    listeners.tell({ state: 'pasted', outcome: { result } });
    listeners.tell({ state: 'off', outcome: { error: new ProtocolError(ErrorCode.LoginLinkReused, 'called off') } });
    listeners.tell({ state: 'st1', via: 'loopback', outcome: { result } });
    listeners.tell({ state: 'st2', via: 'loopback', outcome: { error: new ProtocolError(ErrorCode.AuthorizationDenied, 'denied') } });
    expect(pushes).toEqual([
      { push: 'flowSettled', state: 'st1', result },
      { push: 'flowSettled', state: 'st2', error: { code: ErrorCode.AuthorizationDenied, name: 'AuthorizationDenied', message: 'denied' } },
    ]);
    stop();
    listeners.tell({ state: 'st3', via: 'loopback', outcome: { result } });
    expect(pushes).toHaveLength(2);
  });

  it('reports a push that cannot be sent on stderr instead of throwing', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const { listeners } = setUp(() => {
        throw new Error('EPIPE');
      });
      expect(() => listeners.tell({ state: 'st1', via: 'loopback', outcome: { result } })).not.toThrow();
      expect(String(stderr.mock.calls[0]?.[0])).toContain('could not tell the extension a login finished: EPIPE');
    } finally {
      stderr.mockRestore();
    }
  });
});

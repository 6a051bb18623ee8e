import { describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import type { CompleteResult } from '../../../shared/protocol';
import { flowSettledPush } from '../../../native-host/native-messaging/flow-settled';

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

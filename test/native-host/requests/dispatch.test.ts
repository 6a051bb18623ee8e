/**
 * The one handler table and its dispatcher, for both channels: which types each channel accepts,
 * what an unknown or malformed message gets, and that unexpected errors keep their detail out of
 * the answer. The handlers behind it have their own tests; here the context is a stub.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BRIDGE_CAPABILITIES, BRIDGE_REQUEST_PARSERS } from '../../../shared/bridge-protocol';
import { PROTOCOL_VERSION } from '../../../shared/constants';
import { ErrorCode } from '../../../shared/errors';
import type { HostPush } from '../../../shared/protocol';
import { REQUEST_PARSERS } from '../../../shared/request-parsers';
import type { HostContext } from '../../../native-host/host-context';
import { newBridgeLogins } from '../../../native-host/requests/bridge-login';
import { HANDLERS, answer, respond } from '../../../native-host/requests/dispatch';
import type { BridgeSession } from '../../../native-host/requests/handler';


const ctx = {
  version: '9.9.9',
  loadConfig: async () => ({ rules: [{ id: 'r1' }] }),
  login: {
    begin: async () => {
      throw new Error('discovery failed at https://user:pw@idp.example/');
    },
  },
} as unknown as HostContext;

function bridgeSession(): BridgeSession & { pushes: HostPush[]; sent: unknown[] } {
  const pushes: HostPush[] = [];
  const sent: unknown[] = [];
  return {
    ctx,
    identity: { browser: 'chromium' },
    push: (m) => pushes.push(m),
    touch: () => undefined,
    send: (m) => sent.push(m),
    logins: newBridgeLogins(() => true),
    pushes,
    sent,
  };
}

afterEach(() => vi.restoreAllMocks());

describe('the handler table', () => {
  it('has one entry per protocol type on each channel, validated by the shared parsers', () => {
    expect(Object.keys(HANDLERS.native.handlers).sort()).toEqual(Object.keys(REQUEST_PARSERS).sort());
    expect(Object.keys(HANDLERS.bridge.handlers).sort()).toEqual(Object.keys(BRIDGE_REQUEST_PARSERS).sort());
    for (const [type, entry] of Object.entries(HANDLERS.native.handlers)) expect(entry.parse).toBe(REQUEST_PARSERS[type as keyof typeof REQUEST_PARSERS]);
    for (const [type, entry] of Object.entries(HANDLERS.bridge.handlers)) expect(entry.parse).toBe(BRIDGE_REQUEST_PARSERS[type as keyof typeof BRIDGE_REQUEST_PARSERS]);
  });
});

describe('answer', () => {
  it('answers the native hello with the host version and the config rules', async () => {
    expect(await respond(ctx, { id: 'h', type: 'hello', extensionVersion: '1.0' })).toEqual({
      id: 'h',
      ok: true,
      data: { hostVersion: '9.9.9', protocolVersion: PROTOCOL_VERSION, configRules: [{ id: 'r1' }] },
    });
  });

  it('answers the bridge hello with the pid, the browser and the capabilities', async () => {
    expect(await answer('bridge', bridgeSession(), { id: 'h', type: 'hello' })).toEqual({
      id: 'h',
      ok: true,
      data: {
        hostVersion: '9.9.9',
        protocolVersion: PROTOCOL_VERSION,
        pid: process.pid,
        browser: 'chromium',
        capabilities: [BRIDGE_CAPABILITIES.loginClients, BRIDGE_CAPABILITIES.loginScopes],
      },
    });
  });

  it("refuses each channel's types on the other, and names what it expected", async () => {
    expect(await answer('bridge', bridgeSession(), { id: 'b', type: 'begin', serverUrl: 'https://mcp.example/mcp' })).toEqual({
      id: 'b',
      ok: false,
      error: { code: ErrorCode.UnknownType, name: 'UnknownType', message: 'unknown bridge message type "begin"; expected hello or login' },
    });
    expect(await respond(ctx, { id: 'l', type: 'login', serverUrl: 'https://mcp.example/mcp' })).toEqual({
      id: 'l',
      ok: false,
      error: {
        code: ErrorCode.UnknownType,
        name: 'UnknownType',
        message: 'unknown message type "login"; expected one of hello, begin, complete, status, logout',
      },
    });
  });

  it('takes only the table\'s own keys as types', async () => {
    for (const type of ['toString', '__proto__', 'constructor', 42, undefined]) {
      expect(await respond(ctx, { id: 'x', type })).toMatchObject({ id: 'x', ok: false, error: { code: ErrorCode.UnknownType } });
      expect(await answer('bridge', bridgeSession(), { id: 'x', type })).toMatchObject({ id: 'x', ok: false, error: { code: ErrorCode.UnknownType } });
    }
  });

  it('names the bad field, and echoes the id where there is a usable one', async () => {
    expect(await respond(ctx, { id: 'c', type: 'complete', callbackUrl: 'javascript:alert(1)' })).toMatchObject({
      id: 'c',
      ok: false,
      error: { code: ErrorCode.InvalidField, message: expect.stringContaining('"callbackUrl"') },
    });
    expect(await answer('bridge', bridgeSession(), { id: 'l', type: 'login', serverUrl: 'https://mcp.example/mcp', clients: ['nope'] })).toMatchObject({
      id: 'l',
      ok: false,
      error: { code: ErrorCode.InvalidField, message: expect.stringContaining('"clients"') },
    });
    expect(await respond(ctx, ['not', 'an', 'object'])).toMatchObject({ id: '', ok: false, error: { code: ErrorCode.MalformedMessage } });
    expect(await respond(ctx, { type: 'status' })).toMatchObject({ id: '', ok: false, error: { code: ErrorCode.InvalidField } });
  });

  it('turns an unexpected error into a generic Internal answer, its detail on stderr only', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const session = bridgeSession();
    const response = await answer('bridge', session, { id: 'l', type: 'login', serverUrl: 'https://mcp.example/mcp' });
    expect(response).toEqual({ id: 'l', ok: false, error: { code: ErrorCode.Internal, name: 'Internal', message: 'internal error in the host; see its stderr' } });
    expect(JSON.stringify(response)).not.toContain('pw@');
    expect(String(stderr.mock.calls[0]?.[0])).toContain('discovery failed');
    expect(session.pushes).toEqual([]);
    expect(session.logins.beginning, 'the failed begin gave its slot back').toBe(0);
  });
});

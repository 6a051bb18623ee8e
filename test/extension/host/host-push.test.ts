/**
 * A CLI's login relayed by the host (`openLogin` push): the native client hands pushes to its
 * handler and never mistakes them for answers; the handler validates the flow before a tab opens;
 * the flow then runs exactly like a popup-started one.
 */
import { describe, expect, it, vi } from 'vitest';
import { HostError } from '../../../extension/lib/extension-errors';
import { handleHostPush } from '../../../extension/lib/host/host-push';
import { LoginFlows, type LoginFlowDeps } from '../../../extension/lib/authorize/login-flows';
import { NativeHostClient, type NativePortLike } from '../../../extension/lib/host/native-host-client';
import type { BeginResult, CompleteResult } from '../../../shared/protocol';

const SERVER = 'http://127.0.0.1:4000/mcp';
const REDIRECT = 'http://127.0.0.1:53682/callback';
/** The callback page as the capture loads it: the top frame of the login tab (42 below). */
const FLOW_TAB = { tabId: 42, frameId: 0 };

function flow(state = 'st1', overrides: Partial<BeginResult> = {}): BeginResult {
  return {
    state,
    authorizeUrl: `https://idp.example/auth?client_id=c&state=${state}&redirect_uri=${encodeURIComponent(REDIRECT)}`,
    redirectUri: REDIRECT,
    issuer: 'https://idp.example',
    appliedRules: ['google'],
    expiresAt: 600_000,
    ...overrides,
  };
}

class FakePort implements NativePortLike {
  readonly sent: { id: string; type: string }[] = [];
  private readonly listeners: ((m: unknown) => void)[] = [];
  onMessage = { addListener: (cb: (m: unknown) => void) => void this.listeners.push(cb) };
  onDisconnect = { addListener: () => undefined };
  postMessage(message: unknown): void {
    this.sent.push(message as { id: string; type: string });
  }
  disconnect(): void {}
  deliver(message: unknown): void {
    for (const cb of this.listeners) cb(message);
  }
}

describe('NativeHostClient pushes', () => {
  it('hands a message with "push" and no "id" to onPush, and still matches answers by id', async () => {
    const port = new FakePort();
    const c = new NativeHostClient({ connect: () => port, disconnectReason: () => undefined, extensionId: 'x', extensionVersion: '1', now: () => 0 });
    const pushes: unknown[] = [];
    c.onPush = (m) => pushes.push(m);
    const hello = c.hello();
    const push = { push: 'openLogin', serverUrl: SERVER, flow: flow() };
    port.deliver(push);
    port.deliver({ id: port.sent[0]!.id, ok: true, data: { hostVersion: '0.1.0', protocolVersion: 1, configRules: [] } });
    await expect(hello).resolves.toMatchObject({ hostVersion: '0.1.0' });
    expect(pushes).toEqual([push]);
  });

  it('does not treat a message with both "push" and "id" as a push', async () => {
    const port = new FakePort();
    const c = new NativeHostClient({ connect: () => port, disconnectReason: () => undefined, extensionId: 'x', extensionVersion: '1', now: () => 0 });
    const onPush = vi.fn();
    c.onPush = onPush;
    const hello = c.hello();
    port.deliver({ id: port.sent[0]!.id, push: 'openLogin', ok: true, data: { hostVersion: '0.1.0', protocolVersion: 1 } });
    await expect(hello).resolves.toBeDefined();
    expect(onPush).not.toHaveBeenCalled();
  });
});

describe('handleHostPush', () => {
  const deps = () => ({
    flows: { openHostFlow: vi.fn(async () => undefined), handleSettledByHost: vi.fn(async () => true) },
    now: () => 1_000,
    log: vi.fn(),
  });

  it('opens a valid openLogin flow', async () => {
    const d = deps();
    await handleHostPush({ push: 'openLogin', serverUrl: SERVER, flow: flow() }, d);
    expect(d.flows.openHostFlow).toHaveBeenCalledWith(SERVER, expect.objectContaining({ state: 'st1', redirectUri: REDIRECT }));
  });

  it.each([
    ['an unknown push', { push: 'runThis', serverUrl: SERVER, flow: flow() }],
    ['no serverUrl', { push: 'openLogin', flow: flow() }],
    ['a state that differs from the authorize URL', { push: 'openLogin', serverUrl: SERVER, flow: flow('st1', { state: 'other' }) }],
    ['a non-loopback redirect', { push: 'openLogin', serverUrl: SERVER, flow: flow('st1', { redirectUri: 'https://evil.example/cb' }) }],
    ['an expired flow', { push: 'openLogin', serverUrl: SERVER, flow: flow('st1', { expiresAt: 500 }) }],
    ['a javascript: authorize URL', { push: 'openLogin', serverUrl: SERVER, flow: flow('st1', { authorizeUrl: 'javascript:alert(1)' }) }],
  ])('ignores %s', async (_name, message) => {
    const d = deps();
    await handleHostPush(message, d);
    expect(d.flows.openHostFlow).not.toHaveBeenCalled();
    expect(d.log).toHaveBeenCalled();
  });
});

describe('handleHostPush flowSettled', () => {
  const deps = () => ({
    flows: { openHostFlow: vi.fn(async () => undefined), handleSettledByHost: vi.fn(async () => true) },
    now: () => 1_000,
    log: vi.fn(),
  });
  const result = { serverUrl: SERVER, issuer: 'https://idp.example', stored: [{ target: 'bridge', location: 'k' }], refreshCapable: true, expiresAt: null, scope: '', timings: { totalMs: 1, tokenEndpointMs: 1, storeMs: 0 } };

  it('hands a validated result to the flows, copying only the known fields', async () => {
    const d = deps();
    await handleHostPush({ push: 'flowSettled', state: 'st1', result: { ...result, accessToken: 'secret-at' } }, d);
    expect(d.flows.handleSettledByHost).toHaveBeenCalledWith('st1', { result: expect.objectContaining({ serverUrl: SERVER, refreshCapable: true }) });
    expect(JSON.stringify(d.flows.handleSettledByHost.mock.calls)).not.toContain('secret-at');
  });

  it('hands a host error over as a HostError', async () => {
    const d = deps();
    await handleHostPush({ push: 'flowSettled', state: 'st1', error: { code: 304, name: 'AuthorizationDenied', message: 'denied' } }, d);
    const outcome = (d.flows.handleSettledByHost.mock.calls[0] as unknown[])[1] as { error: HostError };
    expect(outcome.error).toBeInstanceOf(HostError);
    expect(outcome.error).toMatchObject({ code: 304, errorName: 'AuthorizationDenied', message: 'denied' });
  });

  it.each([
    ['no state', { push: 'flowSettled', result }],
    ['an empty state', { push: 'flowSettled', state: '', result }],
    ['an overlong state', { push: 'flowSettled', state: 's'.repeat(513), result }],
    ['neither result nor error', { push: 'flowSettled', state: 'st1' }],
    ['both result and error', { push: 'flowSettled', state: 'st1', result, error: { code: 1, name: 'x', message: 'y' } }],
    ['an invalid result', { push: 'flowSettled', state: 'st1', result: { ...result, refreshCapable: 'yes' } }],
    ['an invalid error', { push: 'flowSettled', state: 'st1', error: { code: '304', name: 'x', message: 'y' } }],
  ])('ignores a push with %s, logging no state', async (_name, message) => {
    const d = deps();
    await handleHostPush(message, d);
    expect(d.flows.handleSettledByHost).not.toHaveBeenCalled();
    expect(d.log).toHaveBeenCalled();
    expect(JSON.stringify(d.log.mock.calls)).not.toContain('st1');
  });
});

describe('LoginFlows.openHostFlow', () => {
  it('arms the capture for the new tab before navigating, and sends the callback to the host once', async () => {
    const steps: string[] = [];
    const result = { serverUrl: SERVER, issuer: 'https://idp.example', stored: [], refreshCapable: true, expiresAt: null, scope: '', timings: { totalMs: 1, tokenEndpointMs: 1, storeMs: 0 } } as CompleteResult;
    const deps: LoginFlowDeps = {
      host: {
        begin: vi.fn(),
        complete: vi.fn(async (url: string) => (steps.push(`complete ${url}`), result)),
      },
      tabs: {
        openBlank: vi.fn(async (windowId?: number) => (steps.push(`openBlank ${windowId}`), 42)),
        focus: vi.fn(async () => undefined),
        navigate: vi.fn(async (tabId: number, url: string) => void steps.push(`navigate ${tabId} ${new URL(url).origin}`)),
        close: vi.fn(async () => undefined),
      },
      capture: {
        arm: vi.fn(async (uri: string, tabId?: number) => (steps.push(`arm ${uri} ${tabId}`), 7)),
        disarm: vi.fn(async (id: number) => void steps.push(`disarm ${id}`)),
      },
      results: { save: vi.fn(async () => undefined) },
      callbackPageUrl: 'chrome-extension://abc/callback.html',
      now: () => 1_000,
      newFlowId: () => 'f1',
      setTimer: () => 0,
      clearTimer: () => undefined,
    };
    const flows = new LoginFlows(deps);
    const summary = await flows.openHostFlow(SERVER, flow());
    expect(summary).toMatchObject({ state: 'pending', serverUrl: SERVER });
    expect(deps.host.begin).not.toHaveBeenCalled();
    expect(steps).toEqual(['openBlank undefined', `arm ${REDIRECT} 42`, 'navigate 42 https://idp.example']);
    const done = await flows.handleCallback('code=c&state=st1', FLOW_TAB);
    expect(done.state).toBe('success');
    await flows.handleCallback('code=c&state=st1', FLOW_TAB);
    expect(deps.host.complete).toHaveBeenCalledTimes(1);
    // The rule goes once the page has its answer (a turn of the event loop later).
    await vi.waitFor(() => expect(steps.slice(3)).toEqual([`complete ${REDIRECT}?code=c&state=st1`, 'disarm 7']));
  });
});

import { describe, expect, it, vi } from 'vitest';
import type { BeginResult, CompleteResult } from '../../../shared/protocol';
import { HostError } from '../../../extension/lib/extension-errors';
import { FINISHING_SHOWN_AFTER_MS, LoginFlows, type LoginFlowDeps } from '../../../extension/lib/authorize/login-flows';
import type { ResultSummary } from '../../../extension/lib/ui/result-summary';

const SERVER = 'https://mcp.example/mcp';
const REDIRECT = 'http://127.0.0.1:53682/callback';
const CALLBACK_PAGE = 'chrome-extension://abc/callback.html';
/** Where the capture loads the callback page: the top frame of the flow's tab (openBlank gives 42). */
const FLOW_TAB = { tabId: 42, frameId: 0 };

function beginResult(state = 'st1', expiresAt = 600_000): BeginResult {
  return {
    state,
    authorizeUrl: `https://idp.example/auth?state=${state}`,
    redirectUri: REDIRECT,
    issuer: 'https://idp.example',
    appliedRules: [],
    expiresAt,
  };
}

const completeResult: CompleteResult = {
  serverUrl: SERVER,
  issuer: 'https://idp.example',
  stored: [{ target: 'bridge', location: 'keychain service mcp-login-bridge' }],
  refreshCapable: true,
  expiresAt: 3_600_000,
  scope: 'openid',
  timings: { totalMs: 1, tokenEndpointMs: 1, storeMs: 0 },
};

/** Fakes for every dependency, recording the order of browser-side steps. */
function setup(overrides: Partial<LoginFlowDeps> = {}) {
  const steps: string[] = [];
  const saved: ResultSummary[] = [];
  const timers: Array<{ callback: () => void; ms: number; cleared: boolean }> = [];
  let now = 0;
  let nextFlow = 0;
  let resolveComplete: ((r: CompleteResult) => void) | null = null;
  const deps: LoginFlowDeps = {
    host: {
      begin: vi.fn(async (serverUrl: string) => {
        steps.push(`begin ${serverUrl}`);
        return beginResult();
      }),
      complete: vi.fn((callbackUrl: string) => {
        steps.push(`complete ${callbackUrl}`);
        return new Promise<CompleteResult>((resolve) => (resolveComplete = resolve));
      }),
    },
    tabs: {
      openBlank: vi.fn(async (windowId?: number) => {
        steps.push(`openBlank ${windowId}`);
        return 42;
      }),
      navigate: vi.fn(async (tabId: number, url: string) => void steps.push(`navigate ${tabId} ${url}`)),
      focus: vi.fn(async (tabId: number) => void steps.push(`focus ${tabId}`)),
      close: vi.fn(async (tabId: number) => void steps.push(`close ${tabId}`)),
    },
    capture: {
      arm: vi.fn(async (redirectUri: string, tabId?: number) => {
        steps.push(`arm ${redirectUri} ${tabId}`);
        return 7;
      }),
      disarm: vi.fn(async (ruleId: number) => void steps.push(`disarm ${ruleId}`)),
    },
    results: { save: vi.fn(async (s: ResultSummary) => void saved.push(s)) },
    callbackPageUrl: CALLBACK_PAGE,
    now: () => now,
    newFlowId: () => `flow${++nextFlow}`,
    setTimer: (callback, ms) => {
      const t = { callback, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (handle) => {
      (handle as { cleared: boolean }).cleared = true;
    },
    formatTime: (ms) => `t${ms}`,
    ...overrides,
  };
  return {
    flows: new LoginFlows(deps),
    deps,
    steps,
    saved,
    timers,
    setNow: (t: number) => (now = t),
    finishComplete: (r: CompleteResult = completeResult) => resolveComplete!(r),
  };
}

describe('LoginFlows.authorize', () => {
  it('a second Authorize for a server whose sign-in waits focuses that tab instead of opening another', async () => {
    const { flows, deps, steps } = setup();
    const first = await flows.authorize(SERVER);
    expect(flows.waitingCount()).toBe(1);
    const second = await flows.authorize(SERVER);
    expect(deps.host.begin).toHaveBeenCalledTimes(1);
    expect(deps.tabs.openBlank).toHaveBeenCalledTimes(1);
    expect(steps.at(-1)).toBe('focus 42');
    expect(second).toMatchObject({ flowId: first.flowId, state: 'pending', message: `The sign-in for ${SERVER} is already open; finish it in that tab.` });
    expect(flows.waitingCount()).toBe(1);
  });

  it('closing the sign-in tab ends the login, and the waiting count drops', async () => {
    const { flows } = setup();
    await flows.authorize(SERVER);
    await flows.handleTabClosed(42);
    expect(flows.waitingCount()).toBe(0);
  });

  it('a waiting login whose tab is already gone (focus fails) gives way to a new one', async () => {
    const { flows, deps } = setup();
    await flows.authorize(SERVER);
    (deps.tabs.focus as ReturnType<typeof vi.fn>).mockRejectedValueOnce(new Error('No tab with id: 42'));
    (deps.host.begin as ReturnType<typeof vi.fn>).mockResolvedValueOnce(beginResult('st2'));
    const again = await flows.authorize(SERVER);
    expect(deps.host.begin).toHaveBeenCalledTimes(2);
    expect(again.message).toContain('Waiting for you to sign in');
  });

  it('arms the capture for the flow tab before sending the tab to the provider', async () => {
    const { flows, steps, saved } = setup();
    const summary = await flows.authorize(SERVER, 3);
    expect(steps).toEqual([`begin ${SERVER}`, 'openBlank 3', `arm ${REDIRECT} 42`, 'navigate 42 https://idp.example/auth?state=st1']);
    expect(summary).toMatchObject({ state: 'pending', serverUrl: SERVER, flowId: 'flow1' });
    expect(summary.message).toContain('Waiting for you to sign in');
    expect(summary.details.join(' ')).toContain('t600000');
    expect(saved.at(-1)).toEqual(summary);
  });

  it('reports a host error without opening a tab', async () => {
    const { flows, steps, deps } = setup();
    vi.mocked(deps.host.begin).mockRejectedValueOnce(new HostError(200, 'DiscoveryFailed', 'no metadata at https://mcp.example'));
    const summary = await flows.authorize(SERVER);
    expect(summary.state).toBe('error');
    // Sentence case for the headline; the host's words otherwise as they are.
    expect(summary.message).toBe('No metadata at https://mcp.example.');
    expect(summary.details).toContain('Error code: DiscoveryFailed (200)');
    expect(deps.host.begin).toHaveBeenCalledWith(SERVER);
    expect(steps).toEqual([]); // the mock replaced the step recorder: no tab, no rule
  });

  it('refuses a server URL that is not http(s) before asking the host', async () => {
    const { flows, deps } = setup();
    const summary = await flows.authorize('mcp.example');
    expect(summary.error).toMatchObject({ name: 'InvalidServerUrl' });
    expect(deps.host.begin).not.toHaveBeenCalled();
  });

  it('refuses a server URL with a user name or password, and keeps it out of the saved result', async () => {
    const { flows, deps, saved } = setup();
    const summary = await flows.authorize('https://user:secret@mcp.example/mcp');
    expect(summary.error).toMatchObject({ name: 'InvalidServerUrl' });
    expect(summary.message).toContain('Remove the user name and password');
    expect(deps.host.begin).not.toHaveBeenCalled();
    expect(deps.tabs.openBlank).not.toHaveBeenCalled();
    expect(saved.at(-1)).toEqual(summary);
    expect(JSON.stringify(saved)).not.toContain('secret');
  });

  it('closes the blank tab when the capture cannot be armed, and does not navigate', async () => {
    const { flows, steps, deps } = setup();
    vi.mocked(deps.capture.arm).mockRejectedValueOnce(new Error('regex too large'));
    const summary = await flows.authorize(SERVER);
    expect(summary.error).toMatchObject({ name: 'CaptureFailed' });
    expect(deps.capture.arm).toHaveBeenCalledWith(REDIRECT, 42);
    expect(steps).toEqual([`begin ${SERVER}`, 'openBlank undefined', 'close 42']);
  });
});

describe('LoginFlows.handleCallback', () => {
  it('sends the callback rebuilt on the flow redirect URI to the host, then disarms and records success', async () => {
    const { flows, steps, saved, finishComplete, deps } = setup();
    await flows.authorize(SERVER);
    const pending = flows.handleCallback('code=abc&state=st1&iss=https%3A%2F%2Fidp.example', FLOW_TAB);
    expect(deps.host.complete).toHaveBeenCalledWith(`${REDIRECT}?code=abc&state=st1&iss=https%3A%2F%2Fidp.example`);
    finishComplete();
    const summary = await pending;
    expect(summary.state).toBe('success');
    expect(summary.message).toBe(`Logged in to ${SERVER}; refresh token stored (access token expires t3600000, the refresh token renews it).`);
    expect(summary.details[0]).toContain('keychain service mcp-login-bridge');
    // The rule's removal and the record follow the answer to the page (see the next test).
    await vi.waitFor(() => expect(saved.at(-1)).toEqual(summary));
    expect(steps.at(-1)).toBe('disarm 7');
    // The host answered at once: no "Finishing…" in between.
    expect(saved.map((s) => s.state)).toEqual(['pending', 'success']);
    expect(new Set(saved.map((s) => s.flowId))).toEqual(new Set(['flow1']));
    // Nothing saved carries the code.
    expect(JSON.stringify(saved)).not.toContain('abc');
  });

  it("answers the page as soon as the host answers: the rule's removal and the record do not hold it up", async () => {
    const saved: ResultSummary[] = [];
    // Saves wait while `held` is set: the browser's storage being slow.
    let held: Promise<void> | undefined;
    let release!: () => void;
    const { flows, steps, finishComplete } = setup({
      results: {
        save: async (s) => {
          await held;
          saved.push(s);
        },
      },
    });
    await flows.authorize(SERVER);
    held = new Promise<void>((resolve) => (release = resolve));
    const pending = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    finishComplete();
    expect((await pending).state).toBe('success');
    expect(saved.map((s) => s.state)).toEqual(['pending']);
    release();
    await vi.waitFor(() => expect(saved.map((s) => s.state)).toEqual(['pending', 'success']));
    expect(steps.at(-1)).toBe('disarm 7');
  });

  it('records "Finishing…" only while the host takes longer than a moment, and the outcome after it', async () => {
    const { flows, saved, timers, finishComplete } = setup();
    await flows.authorize(SERVER);
    const pending = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    const finishing = timers.find((t) => t.ms === FINISHING_SHOWN_AFTER_MS);
    expect(finishing?.cleared).toBe(false);
    finishing!.callback();
    await vi.waitFor(() => expect(saved.map((s) => s.state)).toEqual(['pending', 'pending']));
    expect(saved.at(-1)!.message).toBe(`Finishing the login to ${SERVER}…`);
    finishComplete();
    expect((await pending).state).toBe('success');
    await vi.waitFor(() => expect(saved.map((s) => s.state)).toEqual(['pending', 'pending', 'success']));
  });

  it("posts the page's answer before the rule's removal and the record", async () => {
    const { flows, steps, saved, finishComplete } = setup();
    await flows.authorize(SERVER);
    const order: string[] = [];
    const pending = flows.handleCallback('code=abc&state=st1', FLOW_TAB).then((s) => {
      order.push(`page ${s.state}; disarmed ${steps.includes('disarm 7')}; saved ${saved.length}`);
    });
    finishComplete();
    await pending;
    await vi.waitFor(() => expect(steps.at(-1)).toBe('disarm 7'));
    expect(order).toEqual(['page success; disarmed false; saved 1']);
  });

  it('a host that answers at once cancels the "Finishing…" record', async () => {
    const { flows, saved, timers, finishComplete } = setup();
    await flows.authorize(SERVER);
    const pending = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    finishComplete();
    await pending;
    await vi.waitFor(() => expect(saved.map((s) => s.state)).toEqual(['pending', 'success']));
    expect(timers.find((t) => t.ms === FINISHING_SHOWN_AFTER_MS)?.cleared).toBe(true);
  });

  it('sends a state to the host once: a second delivery gets the first outcome', async () => {
    const { flows, deps, finishComplete } = setup();
    await flows.authorize(SERVER);
    const first = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    const second = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    finishComplete();
    const [a, b] = await Promise.all([first, second]);
    expect(b).toBe(a);
    const third = await flows.handleCallback('code=other&state=st1', FLOW_TAB);
    expect(third).toBe(a);
    expect(deps.host.complete).toHaveBeenCalledTimes(1);
  });

  it('does not send callbacks of unknown states, or without a state, to the host', async () => {
    const { flows, deps, saved } = setup();
    await flows.authorize(SERVER);
    const savedBefore = saved.length;
    const unknown = await flows.handleCallback('code=abc&state=forged', FLOW_TAB);
    expect(unknown).toMatchObject({ state: 'error', error: { name: 'UnknownCallbackState' } });
    expect(unknown.message).toContain('not sent to the host');
    expect((await flows.handleCallback('code=abc', FLOW_TAB)).message).toContain('no "state"');
    expect((await flows.handleCallback('', FLOW_TAB)).state).toBe('error');
    expect(deps.host.complete).not.toHaveBeenCalled();
    expect(saved).toHaveLength(savedBefore);
  });

  it.each([
    ['another tab', { tabId: 43, frameId: 0 }],
    ['a subframe of the flow tab', { tabId: 42, frameId: 3 }],
    ['no tab', {}],
    ['no frame id', { tabId: 42 }],
  ])('treats a delivery from %s as unknown: nothing to the host, the flow still waits', async (_name, from) => {
    const { flows, deps, saved, finishComplete } = setup();
    await flows.authorize(SERVER);
    const savedBefore = saved.length;
    // Any web page can open or frame callback.html; knowing the state must not be enough.
    const delivered = flows.handleCallback('code=attacker&state=st1', from);
    expect(deps.host.complete).not.toHaveBeenCalled(); // checked before awaiting: a sent one would never settle here
    const foreign = await delivered;
    expect(foreign).toMatchObject({ state: 'error', error: { name: 'UnknownCallbackState' } });
    expect(foreign.message).toContain('not sent to the host');
    expect(foreign.serverUrl).toBeNull(); // nothing about the flow leaks to that page
    expect(deps.host.complete).not.toHaveBeenCalled();
    expect(saved).toHaveLength(savedBefore);
    // The flow's own callback page still finishes it.
    const own = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    expect(deps.host.complete).toHaveBeenCalledWith(`${REDIRECT}?code=abc&state=st1`);
    finishComplete();
    expect((await own).state).toBe('success');
    // Once finished, another tab gets no copy of the outcome either.
    expect((await flows.handleCallback('code=abc&state=st1', from)).error?.name).toBe('UnknownCallbackState');
    expect(deps.host.complete).toHaveBeenCalledTimes(1);
  });

  it("records the host's error for a rejected callback and still disarms", async () => {
    const { flows, deps, steps } = setup();
    vi.mocked(deps.host.complete).mockRejectedValueOnce(new HostError(304, 'AuthorizationDenied', 'You denied access at the provider.'));
    await flows.authorize(SERVER);
    const summary = await flows.handleCallback('error=access_denied&state=st1', FLOW_TAB);
    expect(summary).toMatchObject({ state: 'error', message: 'You denied access at the provider.' });
    expect(summary.details).toContain('Error code: AuthorizationDenied (304)');
    // The rule goes after the page has its answer.
    await vi.waitFor(() => expect(steps.at(-1)).toBe('disarm 7'));
  });

  it('no refresh token and no rule applied: says so in plain words and offers "Add this rule"', async () => {
    const { flows, finishComplete } = setup();
    await flows.authorize(SERVER);
    const pending = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    const warning = { code: 401, name: 'NoRefreshToken', message: 'No refresh token. Add {"rules":[…]} to config.json.' };
    finishComplete({ ...completeResult, refreshCapable: false, warning });
    const summary = await pending;
    expect(summary.state).toBe('warning');
    expect(summary.message).toContain('without a refresh token');
    expect(summary.details).not.toContain(warning.message);
    expect(summary.details[0]).toBe('idp.example issued no refresh token: it needs to be asked for offline access. Add a rule for it, then log in again.');
    expect(summary.details).toContain('Warning code: NoRefreshToken (401)');
    expect(summary.action).toEqual({ kind: 'addRule', origin: 'https://idp.example' });
  });

  it('no refresh token although a rule was applied: the host\'s advice, no "Add this rule"', async () => {
    const { flows, deps, finishComplete } = setup();
    vi.mocked(deps.host.begin).mockResolvedValueOnce({ ...beginResult(), appliedRules: ['google'] });
    await flows.authorize(SERVER);
    const pending = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    const warning = { code: 401, name: 'NoRefreshToken', message: 'Rule(s) google were applied; the provider still refused.' };
    finishComplete({ ...completeResult, refreshCapable: false, warning });
    const summary = await pending;
    expect(summary.details).toContain(warning.message);
    expect(summary.action).toBeUndefined();
  });
});

describe('LoginFlows.handleCapturedNavigation (the background sees the capture)', () => {
  it("sends the callback to the host as the flow's tab starts loading the callback page; the page then gets that outcome", async () => {
    const logged: string[] = [];
    const { flows, deps, finishComplete, steps, saved } = setup({ log: (m) => void logged.push(m) });
    await flows.authorize(SERVER);
    expect(flows.handleCapturedNavigation(42, `${CALLBACK_PAGE}?code=abc&state=st1`)).toBe(true);
    expect(deps.host.complete).toHaveBeenCalledWith(`${REDIRECT}?code=abc&state=st1`);
    // Later sightings of the same load (onCommitted) send nothing.
    expect(flows.handleCapturedNavigation(42, `${CALLBACK_PAGE}?code=abc&state=st1`)).toBe(false);
    const fromPage = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    finishComplete();
    const summary = await fromPage;
    expect(summary.state).toBe('success');
    expect(deps.host.complete).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(saved.at(-1)).toEqual(summary));
    expect(steps.at(-1)).toBe('disarm 7');
    expect(JSON.stringify(saved)).not.toContain('abc');
    // The page's own copy is how every capture ends: not reported as a duplicate; a further one is.
    expect(logged.filter((m) => m.includes('duplicate'))).toEqual([]);
    await flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    expect(logged.filter((m) => m.includes('duplicate'))).toHaveLength(1);
    expect(logged.join('\n')).not.toMatch(/abc|st1/);
  });

  it.each([
    ['another tab', 43, `${CALLBACK_PAGE}?code=abc&state=st1`],
    ['a state of no flow of ours', 42, `${CALLBACK_PAGE}?code=abc&state=forged`],
    ['no state', 42, `${CALLBACK_PAGE}?code=abc`],
    ['no query', 42, CALLBACK_PAGE],
    ['another extension page', 42, 'chrome-extension://abc/popup.html?code=abc&state=st1'],
    ['a longer path', 42, 'chrome-extension://abc/callback.htmlx?code=abc&state=st1'],
    ['another extension', 42, 'chrome-extension://zzz/callback.html?code=abc&state=st1'],
    // Not the redirected request: only the callback page's load proves the capture ran.
    ['the loopback request itself', 42, `${REDIRECT}?code=abc&state=st1`],
  ])('sends nothing for %s', async (_name, tabId, url) => {
    const { flows, deps } = setup();
    await flows.authorize(SERVER);
    expect(flows.handleCapturedNavigation(tabId, url)).toBe(false);
    expect(deps.host.complete).not.toHaveBeenCalled();
  });

  it('sends nothing for a flow that already ended (its tab was closed)', async () => {
    const { flows, deps } = setup();
    await flows.authorize(SERVER);
    await flows.handleTabClosed(42);
    expect(flows.handleCapturedNavigation(42, `${CALLBACK_PAGE}?code=abc&state=st1`)).toBe(false);
    expect(deps.host.complete).not.toHaveBeenCalled();
  });
});

describe('LoginFlows.handleSettledByHost (the host loopback listener finished the flow)', () => {
  it('ends a waiting flow with the host result instead of letting it expire', async () => {
    const { flows, deps, steps, saved, timers } = setup();
    await flows.authorize(SERVER);
    expect(await flows.handleSettledByHost('st1', { result: completeResult })).toBe(true);
    expect(saved.at(-1)).toMatchObject({ flowId: 'flow1', state: 'success' });
    expect(saved.at(-1)!.message).toContain(`Logged in to ${SERVER}`);
    expect(steps.at(-1)).toBe('disarm 7');
    expect(timers[0]!.cleared).toBe(true);
    // A late capture of the same state is not sent to the host: it has consumed the state.
    expect((await flows.handleCallback('code=abc&state=st1', FLOW_TAB)).state).toBe('success');
    expect(deps.host.complete).not.toHaveBeenCalled();
  });

  it("records the host's error", async () => {
    const { flows, saved } = setup();
    await flows.authorize(SERVER);
    await flows.handleSettledByHost('st1', { error: new HostError(304, 'AuthorizationDenied', 'You denied access at the provider.') });
    expect(saved.at(-1)).toMatchObject({ state: 'error', message: 'You denied access at the provider.' });
    expect(saved.at(-1)!.details).toContain('Error code: AuthorizationDenied (304)');
  });

  it('leaves a flow that already has an outcome, and unknown states, alone', async () => {
    const { flows, saved, finishComplete } = setup();
    await flows.authorize(SERVER);
    const captured = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    expect(await flows.handleSettledByHost('st1', { error: new HostError(301, 'StateAlreadyUsed', 'used') })).toBe(false);
    expect(await flows.handleSettledByHost('other', { result: completeResult })).toBe(false);
    finishComplete();
    expect((await captured).state).toBe('success');
    await vi.waitFor(() => expect(saved.at(-1)!.state).toBe('success'));
  });
});

describe('LoginFlows ending without a callback', () => {
  it('expires a flow at the host expiry: disarms, records it, and keeps its state from the host', async () => {
    const { flows, timers, steps, saved, deps, setNow } = setup();
    setNow(1_000);
    await flows.authorize(SERVER);
    const expiry = timers[0]!;
    expect(expiry.ms).toBe(599_000);
    setNow(600_000);
    expiry.callback();
    await vi.waitFor(() => expect(steps.at(-1)).toBe('disarm 7'));
    await vi.waitFor(() => expect(saved.at(-1)?.error?.name).toBe('FlowExpired'));
    expect(saved.at(-1)?.message).toContain('expired at t600000');
    const late = await flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    expect(late.error?.name).toBe('FlowExpired');
    expect(deps.host.complete).not.toHaveBeenCalled();
  });

  it('never keeps a capture rule longer than twice the protocol flow lifetime', async () => {
    const { flows, deps, timers } = setup();
    vi.mocked(deps.host.begin).mockResolvedValueOnce(beginResult('st1', 10 * 24 * 3600_000));
    await flows.authorize(SERVER);
    expect(timers[0]!.ms).toBe(20 * 60_000);
  });

  it('clears the expiry timer once the callback arrives', async () => {
    const { flows, timers, finishComplete } = setup();
    await flows.authorize(SERVER);
    const pending = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    finishComplete();
    await pending;
    expect(timers[0]!.cleared).toBe(true);
  });

  it('cancels a flow whose tab was closed, and only that one', async () => {
    const { flows, steps, saved, deps } = setup();
    await flows.authorize(SERVER);
    await flows.handleTabClosed(99);
    expect(steps).not.toContain('disarm 7');
    await flows.handleTabClosed(42);
    expect(steps.at(-1)).toBe('disarm 7');
    expect(saved.at(-1)?.error?.name).toBe('FlowCancelled');
    expect((await flows.handleCallback('code=abc&state=st1', FLOW_TAB)).error?.name).toBe('FlowCancelled');
    expect(deps.host.complete).not.toHaveBeenCalled();
  });

  it('forgets a finished state after the remember period', async () => {
    const { flows, timers, finishComplete } = setup({ rememberMs: 1234 });
    await flows.authorize(SERVER);
    const pending = flows.handleCallback('code=abc&state=st1', FLOW_TAB);
    finishComplete();
    await pending;
    await vi.waitFor(() => expect(timers.some((t) => t.ms === 1234)).toBe(true));
    const forget = timers.find((t) => t.ms === 1234)!;
    forget.callback();
    expect((await flows.handleCallback('code=abc&state=st1', FLOW_TAB)).error?.name).toBe('UnknownCallbackState');
  });
});

describe('LoginFlows with a reused state', () => {
  it('refuses a second flow with the state of one in progress', async () => {
    const { flows } = setup();
    await flows.authorize(SERVER);
    // Another server: the same server would only bring the waiting tab forward.
    const second = await flows.authorize('https://other.example/mcp');
    expect(second.error?.name).toBe('InvalidHostResponse');
  });
});

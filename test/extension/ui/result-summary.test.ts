import { describe, expect, it } from 'vitest';
import type { CompleteResult } from '../../../shared/protocol';
import { completedSummary, errorSummary, mergeSummary, waitingForSignInSummary, type ResultSummary } from '../../../extension/lib/ui/result-summary';
import { ResultHistory, RESULTS_STORAGE_KEY, parseStoredResults } from '../../../extension/lib/ui/result-history';
import { explainDisconnect, toDisplayError } from '../../../extension/lib/extension-errors';

const b = { flowId: 'f1', serverUrl: 'https://mcp.example/mcp', startedAt: 10, now: 20 };
const fmt = (ms: number) => `T${ms}`;
const result: CompleteResult = {
  serverUrl: 'https://mcp.example/mcp',
  issuer: 'https://accounts.google.com',
  stored: [
    { target: 'bridge', location: 'keychain service mcp-login-bridge' },
    { target: 'codex' as 'bridge', location: '~/.codex/.credentials.json' },
  ],
  refreshCapable: true,
  expiresAt: 5000,
  scope: 'openid',
  timings: { totalMs: 1, tokenEndpointMs: 1, storeMs: 0 },
};

describe('result summaries', () => {
  it('says where a successful login was stored', () => {
    const s = completedSummary(b, result, fmt);
    expect(s.state).toBe('success');
    expect(s.message).toBe('Logged in to https://mcp.example/mcp; refresh token stored (access token expires T5000, the refresh token renews it).');
    // One line per store, led by whom it is for: the host's location has quotes and parentheses of its own.
    expect(s.details.slice(0, 2)).toEqual(['Stored for this bridge: keychain service mcp-login-bridge.', 'Stored for Codex: ~/.codex/.credentials.json.']);
  });

  it('names the account in the headline when the host said which one, and none when it did not', () => {
    const s = completedSummary(b, { ...result, account: 'alex@example.com' }, fmt);
    expect(s.message).toBe('Logged in to https://mcp.example/mcp as alex@example.com; refresh token stored (access token expires T5000, the refresh token renews it).');
    const w = completedSummary(b, { ...result, account: 'alex@example.com', refreshCapable: false }, fmt);
    expect(w.message).toBe('Logged in to https://mcp.example/mcp as alex@example.com without a refresh token (access token expires T5000).');
    expect(completedSummary(b, result, fmt).message).not.toContain(' as ');
  });

  it("names each client's server and shows the host's notices about the clients", () => {
    const s = completedSummary(b, {
      ...result,
      stored: [result.stored[0]!, { target: 'codex', location: '~/.codex/.credentials.json', server: 'gm' }],
      notices: [{ target: 'codex', kind: 'settings-missing', server: 'gm', message: 'Codex refreshes gm only with the client secret in its config' }],
    }, fmt);
    expect(s.details).toEqual([
      'Stored for this bridge: keychain service mcp-login-bridge.',
      'Stored for Codex (server "gm"): ~/.codex/.credentials.json.',
      'Codex (server "gm"): Codex refreshes gm only with the client secret in its config',
      'Issuer: https://accounts.google.com',
    ]);
  });

  it('warns when no refresh token came back, even without a host warning', () => {
    const s = completedSummary(b, { ...result, refreshCapable: false, expiresAt: null }, fmt);
    expect(s.state).toBe('warning');
    expect(s.message).toContain('without a refresh token (access token expiry not given by the server)');
    expect(s.details[0]).toContain('no refresh token');
  });

  it("shows an error's message and code", () => {
    const s = errorSummary(b, toDisplayError(explainDisconnect('Specified native messaging host not found.', 'x')));
    expect(s).toMatchObject({ state: 'error', error: { name: 'HostNotInstalled' } });
    expect(s.message).toContain('mcp-login-bridge install');
    expect(s.details).toEqual(['Error code: HostNotInstalled', 'Server: https://mcp.example/mcp']);
  });

  it('names the provider origin while waiting, never the full authorize URL', () => {
    const s = waitingForSignInSummary({ ...b, authorizeUrl: 'https://accounts.google.com/o/oauth2/auth?state=SECRETSTATE&code_challenge=x', expiresAt: 99 }, fmt);
    expect(s.details[0]).toBe('Signing in at https://accounts.google.com. Finish by T99, or start again.');
    expect(JSON.stringify(s)).not.toContain('SECRETSTATE');
  });

  it('wraps unexpected errors in a message that says what to do', () => {
    expect(toDisplayError(new TypeError('x is undefined'))).toMatchObject({ name: 'Internal', message: expect.stringContaining('Reload the extension') });
  });
});

describe('mergeSummary', () => {
  const s = (flowId: string, startedAt: number, state: ResultSummary['state'] = 'pending'): ResultSummary => ({
    flowId,
    state,
    serverUrl: null,
    message: flowId,
    details: [],
    startedAt,
    updatedAt: startedAt,
  });

  it('puts new flows first and updates a flow in place', () => {
    let list = mergeSummary([], s('a', 1));
    list = mergeSummary(list, s('b', 2));
    expect(list.map((x) => x.flowId)).toEqual(['b', 'a']);
    // An older flow's update (say, it expired) does not jump ahead of the newer one.
    list = mergeSummary(list, { ...s('a', 1, 'error'), updatedAt: 9 });
    expect(list.map((x) => `${x.flowId}:${x.state}`)).toEqual(['b:pending', 'a:error']);
  });

  it('keeps at most max entries', () => {
    let list: ResultSummary[] = [];
    for (let i = 0; i < 15; i++) list = mergeSummary(list, s(`f${i}`, i), 10);
    expect(list).toHaveLength(10);
    expect(list[0]!.flowId).toBe('f14');
  });
});

describe('ResultHistory', () => {
  function fakeArea() {
    const data: Record<string, unknown> = {};
    return {
      data,
      async get(key: string) {
        await new Promise((r) => setTimeout(r, 1));
        return key in data ? { [key]: structuredClone(data[key]) } : {};
      },
      async set(items: Record<string, unknown>) {
        await new Promise((r) => setTimeout(r, 1));
        Object.assign(data, structuredClone(items));
      },
    };
  }
  const summary = (flowId: string, startedAt: number): ResultSummary => ({
    flowId,
    state: 'success',
    serverUrl: null,
    message: 'm',
    details: [],
    startedAt,
    updatedAt: startedAt,
  });

  it('keeps every concurrent save', async () => {
    const area = fakeArea();
    const history = new ResultHistory(area);
    await Promise.all([history.save(summary('a', 1)), history.save(summary('b', 2)), history.save(summary('c', 3))]);
    expect((await history.list()).map((s) => s.flowId)).toEqual(['c', 'b', 'a']);
    expect(Object.keys(area.data)).toEqual([RESULTS_STORAGE_KEY]);
  });

  it('drops stored entries of another shape', () => {
    expect(parseStoredResults([summary('a', 1), { flowId: 'x' }, null, 'y'])).toHaveLength(1);
    expect(parseStoredResults(undefined)).toEqual([]);
  });
});

describe('interrupted logins', () => {
  it('marks pending entries left by a previous service worker as errors, and only those', async () => {
    const data: Record<string, unknown> = {};
    const area = {
      get: async (key: string) => (key in data ? { [key]: data[key] } : {}),
      set: async (items: Record<string, unknown>) => void Object.assign(data, items),
    };
    const history = new ResultHistory(area);
    const base = { serverUrl: 'https://a/mcp', message: 'm', details: [], updatedAt: 0 };
    await history.save({ ...base, flowId: 'old', state: 'success', startedAt: 1 });
    await history.save({ ...base, flowId: 'cut', state: 'pending', startedAt: 2 });
    await history.interruptPending(50);
    const [cut, old] = await history.list();
    expect(cut).toMatchObject({ flowId: 'cut', state: 'error', error: { name: 'FlowInterrupted' }, updatedAt: 50 });
    expect(cut!.message).toContain('Click Authorize');
    expect(old).toMatchObject({ flowId: 'old', state: 'success' });
  });
});

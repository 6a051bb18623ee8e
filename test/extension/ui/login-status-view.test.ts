import { describe, expect, it } from 'vitest';
import type { ClientLoginSummary, CredentialSummary, StatusResult } from '../../../shared/protocol';
import { buildLoginStatusView, logoutMessage, type LoginStatusView } from '../../../extension/lib/ui/login-status-view';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const formatTime = (ms: number) => `T${(ms - NOW) / HOUR}h`;
const URL_A = 'https://a.example/mcp';

const credential = (over: Partial<CredentialSummary> = {}): CredentialSummary => ({
  serverUrl: URL_A,
  issuer: 'https://idp.example',
  clientId: 'c',
  scope: '',
  expiresAt: NOW + HOUR,
  refreshCapable: true,
  store: 'bridge',
  ...over,
});
const client = (over: Partial<ClientLoginSummary> = {}): ClientLoginSummary => ({
  client: 'codex',
  server: 'a',
  serverUrl: URL_A,
  loggedIn: true,
  refreshCapable: true,
  expiresAt: NOW + HOUR,
  issuer: 'https://idp.example',
  store: 'keyring',
  ...over,
});

function view(status: Partial<StatusResult>): LoginStatusView {
  return buildLoginStatusView({ ok: true, status: { credentials: [], clients: [], pendingFlows: 0, ...status } }, NOW, formatTime);
}

function servers(v: LoginStatusView) {
  if (v.state !== 'ok') throw new Error(`expected servers, got ${v.state}: ${'message' in v ? v.message : ''}`);
  return v.servers;
}

describe('buildLoginStatusView', () => {
  it('shows our login per server: logged in, expiry as local time, refresh-capable, issuer', () => {
    const [server] = servers(view({ credentials: [credential()] }));
    expect(server!.serverUrl).toBe(URL_A);
    expect(server!.rows).toEqual([
      {
        who: 'bridge',
        label: 'This bridge (keychain)',
        state: 'ok',
        loggedIn: true,
        refreshCapable: true,
        summary: 'Logged in, refreshes by itself',
        facts: ['access token expires T1h', 'issuer https://idp.example'],
      },
    ]);
  });

  it('names the account our login is for, beside the server; none when the host did not say', () => {
    const [server] = servers(view({ credentials: [credential({ account: 'demo@example.test' })] }));
    expect(server!.account).toBe('demo@example.test');
    expect(servers(view({ credentials: [credential()] }))[0]!.account).toBeUndefined();
  });

  it('offers Log out where the bridge holds an entry (even an unreadable one), not where only a client has the server', () => {
    const v = servers(view({ credentials: [credential()], damaged: [{ serverUrl: 'https://b.example/mcp', error: 'part 2 is missing' }], clients: [client({ serverUrl: 'https://c.example/mcp' })] }));
    expect(v.map((s) => [s.serverUrl, s.removable])).toEqual([
      ['https://b.example/mcp', true],
      [URL_A, true],
      ['https://c.example/mcp', undefined],
    ]);
  });

  it('says after a logout what was revoked at the provider, and what still works until it expires', () => {
    const base = { serverUrl: URL_A, removed: [{ target: 'bridge' as const, location: 'keychain' }] };
    expect(logoutMessage({ ...base, revocation: { status: 'revoked', tokens: ['refresh_token', 'access_token'], notRevocable: [] } })).toBe(`Logged out of ${URL_A}. Revoked at the provider.`);
    expect(logoutMessage({ ...base, revocation: { status: 'revoked', tokens: ['refresh_token'], notRevocable: ['access_token'] } })).toBe(
      `Logged out of ${URL_A}. Revoked at the provider; it cannot revoke the access token, which stays valid until it expires.`,
    );
    expect(logoutMessage({ ...base, revocation: { status: 'unsupported' } })).toBe(`Logged out of ${URL_A}. The provider offers no revocation: the tokens stay valid until they expire.`);
    expect(logoutMessage({ ...base, revocation: { status: 'skipped', reason: 'the same login is still used by Codex “a”' } })).toBe(
      `Logged out of ${URL_A}. Not revoked at the provider: the same login is still used by Codex “a”.`,
    );
    expect(logoutMessage({ ...base, revocation: { status: 'failed', reason: 'timed out' } })).toMatch(/Revoking at the provider failed \(timed out\): the tokens stay valid/);
    expect(logoutMessage(base)).toBe(`Logged out of ${URL_A}.`);
  });

  it('says why our login will not last: no refresh token, and expired once the access token is', () => {
    const [live] = servers(view({ credentials: [credential({ refreshCapable: false })] }));
    expect(live!.rows[0]).toMatchObject({ state: 'warning', loggedIn: true, refreshCapable: false, summary: 'Logged in, does NOT refresh' });
    expect(live!.rows[0]!.reason).toMatch(/no usable refresh token/);
    const [dead] = servers(view({ credentials: [credential({ refreshCapable: false, expiresAt: NOW - HOUR })] }));
    expect(dead!.rows[0]).toMatchObject({ state: 'error', loggedIn: false, summary: 'Expired: log in again' });
    expect(dead!.rows[0]!.facts[0]).toBe('access token expired T-1h');
    // A refresh-capable login with an expired access token is still logged in.
    const [renewable] = servers(view({ credentials: [credential({ expiresAt: NOW - HOUR })] }));
    expect(renewable!.rows[0]).toMatchObject({ state: 'ok', loggedIn: true, facts: ['access token expired T-1h', 'issuer https://idp.example'] });
  });

  it("groups the clients' logins under their server with the host's reason, and lists servers only a client has", () => {
    const v = view({
      credentials: [credential()],
      clients: [
        client({ refreshCapable: false, reason: 'client secret missing from Codex config' }),
        client({ client: 'claude-code', server: 'a-claude', store: 'file' }),
        client({ client: 'claude-code', server: 'b', serverUrl: 'https://b.example/mcp', loggedIn: false, refreshCapable: false, expiresAt: null, reason: 'not logged in' }),
        client({ server: 'c', serverUrl: 'https://c.example/mcp', loggedIn: false, refreshCapable: false, reason: 'no issuer stored' }),
      ],
    });
    const [a, b, c] = servers(v);
    expect(a!.rows.map((r) => [r.who, r.label, r.state, r.summary])).toEqual([
      ['bridge', 'This bridge (keychain)', 'ok', 'Logged in, refreshes by itself'],
      ['codex', 'Codex “a”', 'warning', 'Logged in, does NOT refresh'],
      ['claude-code', 'Claude Code “a-claude”', 'ok', 'Logged in, refreshes by itself'],
    ]);
    expect(a!.rows[1]!.reason).toBe('client secret missing from Codex config');
    expect(a!.rows[1]!.facts).toEqual(['access token expires T1h', 'issuer https://idp.example', 'stored in keyring']);
    expect(a!.rows[2]!.reason).toBeUndefined();
    // Only a client has b: our store says "not logged in" for it; "not logged in" is not repeated as a reason.
    expect(b!.serverUrl).toBe('https://b.example/mcp');
    expect(b!.rows.map((r) => [r.who, r.state, r.loggedIn, r.summary, r.reason])).toEqual([
      ['bridge', 'error', false, 'Not logged in', undefined],
      ['claude-code', 'error', false, 'Not logged in', undefined],
    ]);
    expect(c!.rows[1]).toMatchObject({ state: 'error', reason: 'no issuer stored', facts: [] });
  });

  it('keeps servers apart exactly as the host does: another spelling of a URL is another server', () => {
    const v = view({
      credentials: [credential(), credential({ serverUrl: 'https://a.example/mcp/', refreshCapable: false })],
      clients: [client({ client: 'claude-code', server: 'upper', serverUrl: 'https://A.example/mcp' })],
    });
    expect(servers(v).map((s) => [s.serverUrl, s.rows.map((r) => r.who)])).toEqual([
      ['https://a.example/mcp', ['bridge']],
      ['https://a.example/mcp/', ['bridge']],
      ['https://A.example/mcp', ['bridge', 'claude-code']],
    ]);
    expect(servers(v)[1]!.rows[0]!.refreshCapable).toBe(false);
  });

  it('shows an unreadable entry of ours and a login the provider refused as errors, with the reason', () => {
    const v = buildLoginStatusView(
      {
        ok: true,
        status: {
          credentials: [credential({ refreshCapable: false, loginNeeded: true, reason: 'the provider refused the refresh token (revoked or expired): log in again' })],
          damaged: [{ serverUrl: 'https://broken.example/mcp', error: 'keychain entry for https://broken.example/mcp: part 2 is missing' }],
          clients: [],
          pendingFlows: 0,
        },
      },
      NOW,
      formatTime,
    );
    const [broken, refused] = [servers(v).find((s) => s.serverUrl === 'https://broken.example/mcp')!, servers(v).find((s) => s.serverUrl === 'https://a.example/mcp')!];
    expect(broken.rows[0]).toMatchObject({ state: 'error', loggedIn: false, summary: 'Unreadable: log in again', reason: expect.stringContaining('part 2 is missing') });
    // Its access token has not expired, but `token` refuses the login: not "logged in".
    expect(refused.rows[0]).toMatchObject({ state: 'error', loggedIn: false, summary: 'Log in again', reason: expect.stringContaining('refused') });
  });

  it("labels a client as the host names it, and notes the clients' configs the host could not read", () => {
    const v = view({
      credentials: [credential()],
      clients: [client({ label: 'Codex CLI' })],
      clientProblems: [{ target: 'claude-code', kind: 'config-unreadable', message: 'Claude Code config /h/.claude.json: not valid JSON' }],
    });
    expect(servers(v)[0]!.rows[1]!.label).toBe('Codex CLI “a”');
    expect('notes' in v && v.notes).toEqual(['Claude Code config /h/.claude.json: not valid JSON']);
  });

  it("counts this browser's waiting sign-ins, not the host's flows whose tab was closed", () => {
    const v = buildLoginStatusView({ ok: true, status: { credentials: [], clients: [], pendingFlows: 2 }, waitingHere: 0 }, NOW, formatTime);
    expect('notes' in v && v.notes).toEqual([]);
    const w = buildLoginStatusView({ ok: true, status: { credentials: [], clients: [], pendingFlows: 2 }, waitingHere: 2 }, NOW, formatTime);
    expect('notes' in w && w.notes).toEqual(['2 sign-ins waiting in a tab.']);
  });

  it('notes unreadable client stores and logins in progress; says when there is nothing at all', () => {
    const v = buildLoginStatusView({ ok: true, status: { credentials: [], pendingFlows: 1 } }, NOW, formatTime);
    expect(v.state).toBe('empty');
    expect('notes' in v && v.notes).toEqual([expect.stringContaining('could not be read'), '1 sign-in waiting in a tab.']);
  });

  it('leaves a missing host to the banner: a placeholder, not the same advice again', () => {
    const v = buildLoginStatusView(
      { ok: false, error: { source: 'extension', code: null, name: 'HostNotInstalled', message: 'Run `mcp-login-bridge install`.' } },
      NOW,
      formatTime,
    );
    expect(v).toEqual({ state: 'unavailable', message: 'Your logins appear here once the native host answers.' });
  });

  it('explains a host too old for status, and passes any other error on with its code', () => {
    const old = buildLoginStatusView({ ok: false, error: { source: 'host', code: 102, name: 'UnknownType', message: 'unknown message type' } }, NOW, formatTime);
    expect(old).toMatchObject({ state: 'error', message: expect.stringContaining('too old'), details: ['Error code: UnknownType (102)'] });
    const bad = buildLoginStatusView({ ok: false, error: { source: 'extension', code: null, name: 'InvalidHostResponse', message: 'bad "issuer"' } }, NOW, formatTime);
    expect(bad).toEqual({ state: 'error', message: 'Could not read your logins: bad "issuer"', details: ['Error code: InvalidHostResponse'] });
  });
});

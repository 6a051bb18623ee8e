import { afterEach, describe, expect, it, vi } from 'vitest';
import { NativeHostClient, type NativePortLike } from '../../../extension/lib/host/native-host-client';
import { ExtensionError, HostError } from '../../../extension/lib/extension-errors';

const EXT_ID = 'cknjhbicbpaggfnhoaonbipdmdhholpc';
const HELLO = { hostVersion: '0.1.0', protocolVersion: 1, configRules: [] };

type Msg = { id: string; type: string; [k: string]: unknown };

/** A native port whose host is scripted by the test. */
class FakePort implements NativePortLike {
  readonly sent: Msg[] = [];
  closedReason: string | undefined;
  disconnectedByUs = false;
  private readonly messageListeners: Array<(m: unknown) => void> = [];
  private readonly disconnectListeners: Array<(p: NativePortLike) => void> = [];
  constructor(private readonly autoReply: (m: Msg) => unknown = () => undefined) {}
  onMessage = { addListener: (cb: (m: unknown) => void) => void this.messageListeners.push(cb) };
  onDisconnect = { addListener: (cb: (p: NativePortLike) => void) => void this.disconnectListeners.push(cb) };
  postMessage(message: unknown): void {
    if (this.closedReason !== undefined || this.disconnectedByUs) throw new Error('Attempting to use a disconnected port object');
    const m = message as Msg;
    this.sent.push(m);
    const reply = this.autoReply(m);
    if (reply !== undefined) queueMicrotask(() => this.reply(reply));
  }
  disconnect(): void {
    this.disconnectedByUs = true;
  }
  reply(message: unknown): void {
    for (const cb of this.messageListeners) cb(message);
  }
  close(reason: string | undefined): void {
    this.closedReason = reason ?? '';
    for (const cb of this.disconnectListeners) cb(this);
  }
}

/** Answers hello; everything else is left to the test. */
const helloOnly = (m: Msg) => (m.type === 'hello' ? { id: m.id, ok: true, data: HELLO } : undefined);

function client(ports: Array<FakePort | Error>, options: { timeoutsMs?: Record<string, number> } = {}) {
  const opened: FakePort[] = [];
  const c = new NativeHostClient({
    connect: () => {
      const port = ports.shift();
      if (!port) throw new Error('test opened more ports than expected');
      if (port instanceof Error) throw port;
      opened.push(port);
      return port;
    },
    disconnectReason: (p) => (p as FakePort).closedReason || undefined,
    extensionId: EXT_ID,
    extensionVersion: '0.1.0',
    timeoutsMs: options.timeoutsMs,
    now: () => 1_000,
  });
  return { c, opened };
}

const beginData = (state = 's1') => ({
  state,
  authorizeUrl: `https://idp.example/auth?state=${state}&redirect_uri=${encodeURIComponent('http://127.0.0.1:5000/cb')}`,
  redirectUri: 'http://127.0.0.1:5000/cb',
  issuer: 'https://idp.example',
  appliedRules: [],
  expiresAt: 999_999,
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error) => e,
  );
}

afterEach(() => {
  vi.useRealTimers();
});

describe('NativeHostClient', () => {
  it('sends hello once per port, before the first request', async () => {
    const port = new FakePort((m) => (m.type === 'begin' ? { id: m.id, ok: true, data: beginData(`s${m.id}`) } : helloOnly(m)));
    const { c } = client([port]);
    await c.begin('https://mcp.example/mcp');
    await c.begin('https://mcp.example/mcp');
    await c.hello();
    expect(port.sent.map((m) => m.type)).toEqual(['hello', 'begin', 'begin']);
    expect(port.sent[0]).toMatchObject({ type: 'hello', extensionVersion: '0.1.0' });
    expect(port.sent[1]).toMatchObject({ type: 'begin', serverUrl: 'https://mcp.example/mcp' });
    expect(new Set(port.sent.map((m) => m.id)).size).toBe(3);
  });

  it('asks status after hello, and hands on only a validated result', async () => {
    const status = { credentials: [], clients: [], pendingFlows: 0 };
    const port = new FakePort((m) => (m.type === 'status' ? { id: m.id, ok: true, data: { ...status, token: 'SECRET' } } : helloOnly(m)));
    const { c } = client([port]);
    await expect(c.status()).resolves.toEqual(status);
    expect(port.sent.map((m) => m.type)).toEqual(['hello', 'status']);
    const bad = new FakePort((m) => (m.type === 'status' ? { id: m.id, ok: true, data: { credentials: 'none', pendingFlows: 0 } } : helloOnly(m)));
    const error = await rejection(client([bad]).c.status());
    expect(error).toMatchObject({ errorName: 'InvalidHostResponse' });
  });

  it('matches responses to requests by id, in any order', async () => {
    const port = new FakePort(helloOnly);
    const { c } = client([port]);
    await c.hello();
    const a = c.complete('http://127.0.0.1:5000/cb?code=x&state=a');
    const b = c.complete('http://127.0.0.1:5000/cb?code=y&state=b');
    await vi.waitFor(() => expect(port.sent).toHaveLength(3));
    const [, reqA, reqB] = port.sent;
    const result = (serverUrl: string) => ({ serverUrl, issuer: 'https://idp', stored: [], refreshCapable: true, expiresAt: null, scope: '' });
    port.reply({ id: reqB!.id, ok: true, data: result('https://b/mcp') });
    port.reply({ id: reqA!.id, ok: true, data: result('https://a/mcp') });
    await expect(a).resolves.toMatchObject({ serverUrl: 'https://a/mcp' });
    await expect(b).resolves.toMatchObject({ serverUrl: 'https://b/mcp' });
  });

  it("passes the host's error on with its code and name", async () => {
    const port = new FakePort((m) =>
      m.type === 'complete' ? { id: m.id, ok: false, error: { code: 301, name: 'StateAlreadyUsed', message: 'used' } } : helloOnly(m),
    );
    const { c } = client([port]);
    const error = await rejection(c.complete('http://127.0.0.1:5000/cb?state=s'));
    expect(error).toBeInstanceOf(HostError);
    expect(error).toMatchObject({ code: 301, errorName: 'StateAlreadyUsed', message: 'used' });
  });

  it('times out a request without closing the port, and ignores the late answer', async () => {
    vi.useFakeTimers();
    const port = new FakePort(helloOnly);
    const { c, opened } = client([port], { timeoutsMs: { begin: 5_000 } });
    await c.hello();
    const pending = rejection(c.begin('https://mcp.example/mcp'));
    await vi.advanceTimersByTimeAsync(5_001);
    const error = await pending;
    expect(error).toBeInstanceOf(ExtensionError);
    expect((error as ExtensionError).errorName).toBe('HostTimeout');
    expect(error.message).toContain('"begin" within 5 s');
    port.reply({ id: port.sent[1]!.id, ok: true, data: beginData() }); // late: nothing happens
    expect(c.connected).toBe(true);
    expect(opened).toHaveLength(1);
  });

  it('explains a missing host and reconnects lazily on the next request', async () => {
    const missing = new FakePort();
    const second = new FakePort(helloOnly);
    const { c, opened } = client([missing, second]);
    const pending = rejection(c.hello());
    missing.close('Specified native messaging host not found.');
    const error = await pending;
    expect((error as ExtensionError).errorName).toBe('HostNotInstalled');
    expect(error.message).toContain('mcp-login-bridge install');
    expect(c.connected).toBe(false);
    await expect(c.hello()).resolves.toEqual(HELLO);
    expect(opened).toEqual([missing, second]);
    expect(second.sent.map((m) => m.type)).toEqual(['hello']); // hello again on the new port
  });

  it("answers every pending request with the host's connection-level error (id \"\"), before the disconnect", async () => {
    const port = new FakePort();
    const { c } = client([port]);
    const pending = rejection(c.hello());
    await vi.waitFor(() => expect(port.sent).toHaveLength(1));
    port.reply({ id: '', ok: false, error: { code: 104, name: 'CallerNotAllowed', message: 'extension x is not allowed' } });
    port.close('Native host has exited.');
    expect(await pending).toMatchObject({ code: 104, errorName: 'CallerNotAllowed' });
  });

  it('fails every pending request when the host exits', async () => {
    const port = new FakePort(helloOnly);
    const { c } = client([port]);
    await c.hello();
    const one = rejection(c.begin('https://a.example/mcp'));
    const two = rejection(c.begin('https://b.example/mcp'));
    await vi.waitFor(() => expect(port.sent).toHaveLength(3));
    port.close('Native host has exited.');
    for (const e of await Promise.all([one, two])) {
      expect((e as ExtensionError).errorName).toBe('HostExited');
      expect(e.message).toContain('mcp-login-bridge doctor');
    }
  });

  it('names the extension id when the host manifest does not allow it', async () => {
    const port = new FakePort();
    const { c } = client([port]);
    const pending = rejection(c.hello());
    port.close('Access to the specified native messaging host is forbidden.');
    const error = await pending;
    expect((error as ExtensionError).errorName).toBe('HostForbidden');
    expect(error.message).toContain(EXT_ID);
  });

  it('explains a connect that throws (Firefox wording)', async () => {
    const { c } = client([new Error('No such native application mcp_login_bridge')]);
    const error = await rejection(c.hello());
    expect((error as ExtensionError).errorName).toBe('HostNotInstalled');
  });

  it('refuses a host of another protocol version and drops its port', async () => {
    const old = new FakePort((m) => ({ id: m.id, ok: true, data: { ...HELLO, protocolVersion: 2 } }));
    const next = new FakePort(helloOnly);
    const { c, opened } = client([old, next]);
    const error = await rejection(c.hello());
    expect((error as ExtensionError).errorName).toBe('ProtocolMismatch');
    expect(error.message).toContain('protocol version 2');
    await vi.waitFor(() => expect(old.disconnectedByUs).toBe(true));
    await expect(c.hello()).resolves.toEqual(HELLO);
    expect(opened).toHaveLength(2);
  });

  it('fails a request whose answer is malformed, and one whose result is invalid', async () => {
    const port = new FakePort((m) => {
      if (m.type === 'begin') return { id: m.id, ok: true, data: { ...beginData(), redirectUri: 'http://example.com/cb' } };
      if (m.type === 'complete') return { id: m.id, ok: 'maybe' };
      return helloOnly(m);
    });
    const { c } = client([port]);
    const begin = await rejection(c.begin('https://mcp.example/mcp'));
    expect((begin as ExtensionError).errorName).toBe('InvalidHostResponse');
    expect(begin.message).toContain('redirectUri');
    const complete = await rejection(c.complete('http://127.0.0.1:5000/cb?state=s'));
    expect((complete as ExtensionError).errorName).toBe('InvalidHostResponse');
    expect(complete.message).toContain('"ok"');
  });

  it('after the host exits, the next request opens a new port and says hello there first', async () => {
    const port = new FakePort(helloOnly);
    const next = new FakePort((m) => (m.type === 'begin' ? { id: m.id, ok: true, data: beginData() } : helloOnly(m)));
    const { c } = client([port, next]);
    await c.hello();
    port.close('Native host has exited.');
    // begin opens a fresh port and says hello there first.
    await c.begin('https://mcp.example/mcp');
    expect(port.sent.map((m) => m.type)).toEqual(['hello']);
    expect(next.sent.map((m) => m.type)).toEqual(['hello', 'begin']);
  });
});

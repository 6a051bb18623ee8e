/**
 * The loopback listener over real HTTP: start links (launch-links.ts) and what it does with
 * requests it cannot use. The login behind it is a stub: these tests are about the door.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type ProtocolError } from '../../../shared/errors';
import type { CompleteResult } from '../../../shared/protocol';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';

const AUTHORIZE = 'https://as.example/authorize?state=S1&code_challenge=C';
let listener: LoopbackListener;
afterEach(() => listener?.close());

function setUp(options: ConstructorParameters<typeof LoopbackListener>[0] = {}) {
  listener = new LoopbackListener(options);
  const callbacks: string[] = [];
  const calledOff: Array<[string, ProtocolError]> = [];
  listener.onCallback = async (url) => {
    callbacks.push(url);
    return { serverUrl: 'https://mcp.example/mcp', refreshCapable: true } as CompleteResult;
  };
  listener.onCallOff = (state, error) => calledOff.push([state, error]);
  return { callbacks, calledOff };
}

/** A raw GET (fetch would refuse some of these targets), with an optional Cookie header. */
function get(port: number, target: string, cookie?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: target, headers: cookie ? { cookie } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('LoopbackListener', () => {
  it("a start link redirects once with the callback's cookie; the callback with it goes on to the login", async () => {
    const { callbacks, calledOff } = setUp();
    const link = new URL(await listener.launchUrl('S1', AUTHORIZE));
    const port = Number(link.port);
    const start = await get(port, link.pathname);
    expect(start.status).toBe(302);
    expect(start.headers.location).toBe(AUTHORIZE);
    expect(start.headers['cache-control']).toBe('no-store');
    expect(start.headers['referrer-policy']).toBe('no-referrer');
    const cookie = String(start.headers['set-cookie']).split(';')[0]!;
    const done = await get(port, '/callback?code=X&state=S1', cookie);
    expect(done.status).toBe(200);
    expect(callbacks).toEqual([`http://127.0.0.1:${port}/callback?code=X&state=S1`]);
    expect(calledOff).toEqual([]);
  });

  it('a launched login whose callback comes without the cookie is called off before any exchange', async () => {
    const { callbacks, calledOff } = setUp();
    const link = new URL(await listener.launchUrl('S1', AUTHORIZE));
    await get(Number(link.port), link.pathname);
    const refused = await get(Number(link.port), '/callback?code=X&state=S1');
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('did not send back the cookie');
    expect(callbacks).toEqual([]);
    expect(calledOff.map(([state, error]) => [state, error.code])).toEqual([['S1', ErrorCode.CallbackCookieMissing]]);
  });

  it('where the visitor cannot be told (not Linux), a second visit of a start link calls the login off; a login it did not launch needs no cookie', async () => {
    const { callbacks, calledOff } = setUp({ peerUid: async () => undefined });
    const link = new URL(await listener.launchUrl('S1', AUTHORIZE));
    await get(Number(link.port), link.pathname);
    const again = await get(Number(link.port), link.pathname);
    expect(again.status).toBe(409);
    expect(again.headers.location).toBeUndefined();
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(calledOff.map(([state, error]) => [state, error.code])).toEqual([['S1', ErrorCode.LoginLinkReused]]);
    expect((await get(Number(link.port), '/start/unknown')).status).toBe(404);
    // The extension's logins (or --no-browser's) were never launched here: no cookie involved.
    expect((await get(Number(link.port), '/callback?code=Y&state=S-extension')).status).toBe(200);
    expect(callbacks).toHaveLength(1);
  });

  it("answers the user's own second visit like the first (Linux: the visitor is known to be the user)", async () => {
    const { callbacks, calledOff } = setUp({ uid: 1000, peerUid: async () => 1000 });
    const link = new URL(await listener.launchUrl('S1', AUTHORIZE));
    const first = await get(Number(link.port), link.pathname);
    const again = await get(Number(link.port), link.pathname);
    expect(again.status).toBe(302);
    expect(again.headers.location).toBe(AUTHORIZE);
    expect(again.headers['set-cookie']).toEqual(first.headers['set-cookie']);
    expect(calledOff).toEqual([]);
    expect((await get(Number(link.port), '/callback?code=X&state=S1', String(again.headers['set-cookie']).split(';')[0]))).toMatchObject({ status: 200 });
    expect(callbacks).toHaveLength(1);
  });

  it("refuses another user's program at the start link and the callback, and leaves the link to the user", async () => {
    let peer: number | null = 1001;
    const { callbacks, calledOff } = setUp({ uid: 1000, peerUid: async () => peer });
    const link = new URL(await listener.launchUrl('S1', AUTHORIZE));
    const port = Number(link.port);
    const foreign = await get(port, link.pathname);
    expect(foreign.status).toBe(403);
    expect(foreign.headers.location).toBeUndefined();
    expect(foreign.headers['set-cookie']).toBeUndefined();
    expect((await get(port, '/callback?code=X&state=S-extension')).status).toBe(403);
    peer = null; // a socket the kernel does not list: not one we can vouch for
    expect((await get(port, link.pathname)).status).toBe(403);
    expect(callbacks).toEqual([]);
    expect(calledOff).toEqual([]);
    // The user's own browser still gets the untouched link.
    peer = 1000;
    const own = await get(port, link.pathname);
    expect(own.status).toBe(302);
    expect((await get(port, '/callback?code=X&state=S1', String(own.headers['set-cookie']).split(';')[0]))).toMatchObject({ status: 200 });
  });

  it('where the kernel does not say who is connecting, the cookie and one-time link decide', async () => {
    const { callbacks } = setUp({ uid: 1000, peerUid: async () => undefined });
    const link = new URL(await listener.launchUrl('S1', AUTHORIZE));
    expect((await get(Number(link.port), link.pathname)).status).toBe(302);
    expect((await get(Number(link.port), '/callback?code=Y&state=S-extension')).status).toBe(200);
    expect(callbacks).toHaveLength(1);
  });

  // The real /proc/net/tcp: a client running as another user (root can start one as nobody).
  it.runIf(process.getuid?.() === 0)('refuses a real client of another uid, found through /proc/net/tcp', async () => {
    setUp();
    const link = await listener.launchUrl('S1', AUTHORIZE);
    const script = `fetch(process.argv[1], { redirect: 'manual' }).then((r) => console.log(r.status), (e) => console.log('error', e.message))`;
    const asNobody = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script, link], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('close', () => resolve(out.trim()));
    });
    expect(asNobody).toBe('403');
    // Ours (root, like the listener) is let through, and the link was not used up.
    expect((await get(Number(new URL(link).port), new URL(link).pathname)).status).toBe(302);
  });

  it('answers a request target it cannot parse with 400 and keeps serving', async () => {
    setUp();
    const port = Number(new URL(await listener.redirectUri()).port);
    expect((await get(port, 'http://[')).status).toBe(400);
    expect((await get(port, '/elsewhere')).status).toBe(404);
  });
});

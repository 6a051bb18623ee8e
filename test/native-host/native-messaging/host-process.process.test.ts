import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../../shared/constants';
import { ErrorCode } from '../../../shared/errors';
import { assertHostBuilt, spawnNativeHost, type NativeClient } from '../../helpers/native-client';

// The built host as a browser starts it: real process, real stdio framing.
let config: string;
let host: NativeClient | undefined;
beforeAll(async () => {
  assertHostBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'mlb-host-'));
  config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ rules: [{ id: 'team', origins: ['https://idp.example'], params: { access_type: 'offline' } }] }));
});
afterEach(async () => {
  await host?.close();
  host = undefined;
});

function start(args?: string[]) {
  host = spawnNativeHost({ env: { ...process.env, MCP_LOGIN_BRIDGE_CONFIG: config }, ...(args ? { args } : {}) });
  return host;
}

describe('native host process', () => {
  it('answers hello with its versions and the config rules', async () => {
    const res = await start().request({ id: 'h1', type: 'hello', extensionVersion: '1.0.0' });
    expect(res).toMatchObject({ id: 'h1', ok: true, data: { protocolVersion: PROTOCOL_VERSION, configRules: [{ id: 'team' }] } });
  });

  it('answers an unknown type and malformed JSON with numbered errors and keeps serving', async () => {
    const h = start();
    expect(await h.request({ id: 'u1', type: 'exfiltrate' })).toMatchObject({ id: 'u1', ok: false, error: { code: ErrorCode.UnknownType } });
    const body = Buffer.from('{not json');
    const header = Buffer.alloc(4);
    header.writeUInt32LE(body.length);
    h.sendRaw(Buffer.concat([header, body]));
    expect(await h.next()).toMatchObject({ ok: false, error: { code: ErrorCode.MalformedMessage } });
    expect(await h.request({ id: 'h2', type: 'hello' })).toMatchObject({ id: 'h2', ok: true });
  });

  it('refuses an oversized frame without reading it, then exits', async () => {
    const h = start();
    const header = Buffer.alloc(4);
    header.writeUInt32LE(512 * 1024 * 1024);
    h.sendRaw(header);
    expect(await h.next()).toMatchObject({ ok: false, error: { code: ErrorCode.FrameTooLarge } });
    // The browser still holds its end of the pipe: the host must go away on its own.
    expect(await h.exited).toBe(0);
  });

  it('refuses a caller that is not an allowed extension', async () => {
    const h = start([`chrome-extension://${'a'.repeat(32)}/`]);
    expect(await h.next()).toMatchObject({ ok: false, error: { code: ErrorCode.CallerNotAllowed } });
    expect(await h.exited).toBe(1);
  });

  it('refuses a begin for a non-https server that is not loopback, before any request', async () => {
    const res = await start().request({ id: 'b1', type: 'begin', serverUrl: 'http://mcp.example.com/mcp' });
    expect(res).toMatchObject({ id: 'b1', ok: false, error: { code: ErrorCode.InsecureEndpoint } });
  });

  it('refuses a callback for a state it never issued', async () => {
    const res = await start().request({ id: 'c1', type: 'complete', callbackUrl: 'http://127.0.0.1:1/callback?code=x&state=forged' });
    expect(res).toMatchObject({ id: 'c1', ok: false, error: { code: ErrorCode.UnknownState } });
  });

  it('writes nothing but frames on stdout', async () => {
    const h = start();
    await h.request({ id: 'h3', type: 'hello' });
    await h.request({ id: 'x', type: 'nope' });
    // The client throws on any non-frame bytes; reaching here with two parsed responses is the check.
    expect(h.stderr()).not.toMatch(/Error: host wrote a bad frame/);
  });
});

describe('native host process: the browser stops reading', () => {
  it('ends quietly (exit 0, no crash) when its stdout pipe was closed and it has an answer to write', async () => {
    const h = start();
    // The browser's end of our stdout goes away while stdin stays open.
    h.child.stdout.destroy();
    h.send({ id: 'h1', type: 'hello', extensionVersion: '1.0.0' });
    const code = await Promise.race([h.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 10_000))]);
    expect(h.stderr()).not.toMatch(/EPIPE|Unhandled|internal error/);
    expect(code).toBe(0);
  });
});

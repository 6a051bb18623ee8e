import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCallbackPort, mcpRemoteStoreDir, serverUrlHash } from '../../../../native-host/clients/mcp-remote/mcp-remote-hash';
import { readLaunch, type LaunchReading } from '../../../../native-host/clients/mcp-remote/mcp-remote-launch';

const URL_ = 'https://mcp.example.com/mcp';
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const env = { HOME: '/home/u' };

function launched(reading: LaunchReading) {
  if (reading.kind !== 'mcp-remote') throw new Error(`expected an mcp-remote launch, got ${JSON.stringify(reading)}`);
  return reading.launch;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlb-mcp-remote-launch-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('serverUrlHash (mcp-remote 0.15 getServerUrlHash)', () => {
  it('is the md5 of the URL alone without options', () => {
    expect(serverUrlHash({ serverUrl: URL_ })).toBe(md5(URL_));
  });
  it('joins resource, sorted params, sorted headers, metadata URL and token endpoint with |', () => {
    const hash = serverUrlHash({
      serverUrl: URL_,
      authorizeResource: 'https://r.example.com',
      authorizeParams: { prompt: 'consent', access_type: 'offline' },
      headers: { 'X-B': '2', 'X-A': '1' },
      clientMetadataUrl: 'https://c.example.com/client.json',
      tokenEndpoint: 'https://t.example.com/token',
    });
    expect(hash).toBe(
      md5([URL_, 'https://r.example.com', '{"access_type":"offline","prompt":"consent"}', '{"X-A":"1","X-B":"2"}', 'https://c.example.com/client.json', 'https://t.example.com/token'].join('|')),
    );
  });
  it('leaves out empty option objects', () => {
    expect(serverUrlHash({ serverUrl: URL_, authorizeParams: {}, headers: {} })).toBe(md5(URL_));
  });
  it('derives the default callback port from the hash', () => {
    expect(defaultCallbackPort('0000aaaa')).toBe(3335);
    expect(defaultCallbackPort('ffff0000')).toBe(3335 + (0xffff % 45816));
  });
  it('keeps its store in MCP_REMOTE_CONFIG_DIR or ~/.mcp-auth, then mcp-remote-v1', () => {
    expect(mcpRemoteStoreDir({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.mcp-auth/mcp-remote-v1');
    expect(mcpRemoteStoreDir({ HOME: '/home/u', MCP_REMOTE_CONFIG_DIR: '/x' }, 'linux')).toBe('/x/mcp-remote-v1');
  });
});

describe('readLaunch', () => {
  it('reads npx -y mcp-remote@version <url> with the options that change the store name', async () => {
    const launch = launched(
      await readLaunch(
        { command: 'npx', args: ['-y', 'mcp-remote@0.15.1', URL_, '--header', 'Authorization:${AUTH}', '--authorize-param', 'access_type=offline', '--resource', ' https://r.example.com ', '--debug'] },
        { env, platform: 'linux' },
      ),
    );
    expect(launch.url).toBe(URL_);
    expect(launch.pinnedVersion).toBe('0.15.1');
    // The header is hashed as written: mcp-remote substitutes ${AUTH} only after hashing.
    expect(launch.hash).toBe(md5([URL_, 'https://r.example.com', '{"access_type":"offline"}', '{"Authorization":"${AUTH}"}'].join('|')));
    expect(launch.storeDir).toBe('/home/u/.mcp-auth/mcp-remote-v1');
    expect(launch.redirectUrl).toBe(`http://localhost:${defaultCallbackPort(launch.hash)}/oauth/callback`);
  });

  it('reads the callback port after the headers are taken out, and --host / --callback-path', async () => {
    const launch = launched(
      await readLaunch({ command: 'mcp-remote', args: [URL_, '--header', 'X-A: 1', '9876', '--host', '127.0.0.1', '--callback-path', '/cb'] }, { env, platform: 'linux' }),
    );
    expect(launch.redirectUrl).toBe('http://127.0.0.1:9876/cb');
  });

  it('finds mcp-remote behind launchers and as a path', async () => {
    for (const entry of [
      { command: 'cmd', args: ['/c', 'npx', '-y', 'mcp-remote', URL_] },
      { command: 'bunx', args: ['mcp-remote@latest', URL_] },
      { command: 'npx', args: ['--package', 'mcp-remote@0.15.1', 'mcp-remote', URL_] },
      { command: '/usr/local/bin/mcp-remote', args: [URL_] },
      { command: 'node', args: ['/opt/x/node_modules/mcp-remote/dist/proxy.js', URL_] },
    ]) {
      expect(launched(await readLaunch(entry, { env, platform: 'linux' })).hash).toBe(md5(URL_));
    }
  });

  it('uses 127.0.0.1 as the callback host on Windows, and the entry env MCP_REMOTE_CONFIG_DIR', async () => {
    const launch = launched(await readLaunch({ command: 'npx', args: ['mcp-remote', URL_], env: { MCP_REMOTE_CONFIG_DIR: '/cfg' } }, { env, platform: 'win32' }));
    expect(launch.redirectUrl.startsWith('http://127.0.0.1:')).toBe(true);
    expect(launch.storeDir).toBe(join('/cfg', 'mcp-remote-v1'));
  });

  it('hashes headers from an absolute --header-file', async () => {
    const file = join(dir, 'headers.txt');
    await writeFile(file, '# team\nX-Team: a\n\nnot a header\n');
    const launch = launched(await readLaunch({ command: 'npx', args: ['mcp-remote', URL_, '--header-file', file] }, { env }));
    expect(launch.hash).toBe(md5([URL_, '{"X-Team":"a"}'].join('|')));
  });

  it('is not about other commands', async () => {
    expect((await readLaunch({ command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] })).kind).toBe('not-mcp-remote');
    expect((await readLaunch({ command: 'npx', args: ['mcp-remote-client', URL_] })).kind).toBe('not-mcp-remote');
  });

  it('says why it cannot write for some launches', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['mcp-remote@0.1.37', URL_], /older format/],
      [['mcp-remote', URL_, '--client-credentials'], /no user login/],
      [['mcp-remote', URL_, '--authorize-param', 'state=x'], /refused by mcp-remote/],
      [['mcp-remote', 'http://example.com/mcp'], /plain http/],
      [['mcp-remote', URL_, '--header-file', 'rel.txt'], /relative path/],
      [['mcp-remote', URL_, '--header-file', '/nonexistent/h.txt'], /cannot be read/],
      [['mcp-remote'], /no server URL/],
    ];
    for (const [args, reason] of cases) {
      const reading = await readLaunch({ command: 'npx', args }, { env });
      expect(reading.kind, args.join(' ')).toBe('unsupported');
      if (reading.kind === 'unsupported') expect(reading.reason).toMatch(reason);
    }
  });

  it('notes a static client, with its id when inline', async () => {
    const inline = launched(await readLaunch({ command: 'npx', args: ['mcp-remote', URL_, '--static-oauth-client-info', '{"client_id":"abc","client_secret":"s"}'] }, { env }));
    expect(inline.staticClient).toEqual({ clientId: 'abc' });
    const fromFile = launched(await readLaunch({ command: 'npx', args: ['mcp-remote', URL_, '--static-oauth-client-info', '@/x.json'] }, { env }));
    expect(fromFile.staticClient).toEqual({});
  });
});

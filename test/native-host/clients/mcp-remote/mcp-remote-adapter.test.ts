import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfiguredServer } from '../../../../native-host/clients/client-adapter';
import { mcpRemoteAdapter, type McpRemoteConfig } from '../../../../native-host/clients/mcp-remote/mcp-remote-adapter';
import { clientAdapters } from '../../../../native-host/clients/registry';
import type { StoredCredential } from '../../../../native-host/stores/credential';

const URL_ = 'https://mcp.example.com/mcp';
const NOW = 1_800_000_000_000;
let home: string;

const login: StoredCredential = {
  serverUrl: URL_,
  resource: URL_,
  issuer: 'https://accounts.example.com',
  clientId: 'client-1',
  tokenEndpointAuthMethod: 'none',
  accessToken: 'at-1',
  tokenType: 'Bearer',
  refreshToken: 'rt-1',
  expiresAt: NOW + 3_600_000,
  scope: 'openid',
  updatedAt: NOW,
};

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mlb-mcp-remote-adapter-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const adapter = () => typed(mcpRemoteAdapter({ env: { HOME: home }, platform: 'linux', projectDir: join(home, 'p'), now: () => NOW, lockWaitMs: 500 }));

/** The registry sees `ConfiguredServer<unknown>`; here the adapter's own servers are passed back to it. */
function typed(a: ReturnType<typeof mcpRemoteAdapter>) {
  return Object.assign(a, {
    servers: async () => {
      const d = await a.discover();
      return { ...d, servers: d.servers as ConfiguredServer<McpRemoteConfig>[] };
    },
  });
}

async function cursorConfig(servers: Record<string, unknown>): Promise<void> {
  await mkdir(join(home, '.cursor'), { recursive: true });
  await writeFile(join(home, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: servers }));
}

describe('the mcp-remote adapter', () => {
  it('is registered', () => {
    expect(clientAdapters({}, ['mcp-remote']).map((a) => a.id)).toEqual(['mcp-remote']);
  });

  it('writes, reads, judges, updates under its lease, and deletes a login', async () => {
    await cursorConfig({ mock: { command: 'npx', args: ['-y', 'mcp-remote', URL_] } });
    const a = adapter();
    const { servers, problems } = await a.servers();
    expect(problems).toEqual([]);
    expect(servers).toHaveLength(1);
    const server = servers[0]!;
    expect(server).toMatchObject({ client: 'mcp-remote', name: 'mock', url: URL_, storeReachable: true });
    expect(await a.checkWritable(server)).toBeUndefined();

    const outcome = await a.write(server, login, {});
    expect(outcome.location).toBe(server.entryKey);
    const entry = await a.read(server);
    expect(entry).toMatchObject({ issuer: login.issuer, clientId: 'client-1', accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: login.expiresAt });
    expect(a.usability(server, entry!, { now: NOW })).toEqual({ loggedIn: true, refreshCapable: true });

    await a.withLock(server, async (held) => {
      expect((await held.read())?.refreshToken).toBe('rt-1');
      await held.updateTokens({ ...login, accessToken: 'at-2', refreshToken: 'rt-2' });
    });
    expect((await a.read(server))?.refreshToken).toBe('rt-2');
    expect(await a.delete(server)).toBe(server.entryKey);
    expect(await a.read(server)).toBeUndefined();
    expect(await a.delete(server)).toBeUndefined();
  });

  it('lists a launch it cannot write for, says why, and refuses the write', async () => {
    await cursorConfig({ old: { command: 'npx', args: ['mcp-remote@0.1.37', URL_] }, nourl: { command: 'npx', args: ['mcp-remote'] } });
    const a = adapter();
    const { servers, problems } = await a.servers();
    expect(servers).toHaveLength(1);
    const server = servers[0]!;
    expect(server.storeReachable).toBe(false);
    expect((await a.checkWritable(server))?.kind).toBe('store-unwritable');
    await expect(a.write(server, login, {})).rejects.toThrow(/older format/);
    await expect(a.read(server)).rejects.toThrow(/mcp-remote \(old in Cursor\): it runs mcp-remote@0\.1\.37/);
    expect(a.usability(server, { expiresAt: null }, { now: NOW }).reason).toMatch(/older format/);
    expect(problems.map((p) => p.kind)).toEqual(['config-unreadable']);
    expect(problems[0]!.message).toMatch(/nourl starts mcp-remote, but it names no server URL/);
  });

  it('reports a malformed tokens file before a login and leaves it alone', async () => {
    await cursorConfig({ mock: { command: 'npx', args: ['mcp-remote', URL_] } });
    const a = adapter();
    const server = (await a.servers()).servers[0]!;
    await a.write(server, login, {});
    await writeFile(server.entryKey, 'not json');
    expect((await a.checkWritable(server))?.message).toMatch(/not valid JSON/);
    await expect(a.write(server, login, {})).rejects.toThrow(/not valid JSON/);
    expect(await readFile(server.entryKey, 'utf8')).toBe('not json');
  });

  it('says when mcp-remote would drop the client registration at start', async () => {
    await cursorConfig({ mock: { command: 'npx', args: ['mcp-remote', URL_] } });
    const a = adapter();
    const server = (await a.servers()).servers[0]!;
    await a.write(server, login, {});
    // The same server, now configured with another callback port: mcp-remote re-registers.
    await cursorConfig({ mock: { command: 'npx', args: ['mcp-remote', URL_, '9999'] } });
    const moved = (await a.servers()).servers[0]!;
    const entry = await a.read(moved);
    expect(a.usability(moved, entry!, { now: NOW })).toMatchObject({ refreshCapable: false, reason: expect.stringMatching(/deletes it at start/) });
  });
});

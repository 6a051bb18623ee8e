import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mcpRemoteUsability } from '../../../../native-host/clients/mcp-remote/mcp-remote-entry';
import { acquireLease, LEASE_FILE } from '../../../../native-host/clients/mcp-remote/mcp-remote-lease';
import { clientInfoPath, McpRemoteStore, tokensPath, type LaunchRef } from '../../../../native-host/clients/mcp-remote/mcp-remote-store';
import type { StoredCredential } from '../../../../native-host/stores/credential';

const NOW = 1_800_000_000_000;
let dir: string;
let launch: LaunchRef;

const login: StoredCredential = {
  serverUrl: 'https://mcp.example.com/mcp',
  resource: 'https://mcp.example.com/mcp',
  issuer: 'https://accounts.example.com',
  clientId: 'client-1',
  clientSecret: 'secret-1',
  tokenEndpointAuthMethod: 'client_secret_post',
  accessToken: 'at-1',
  tokenType: 'Bearer',
  refreshToken: 'rt-1',
  expiresAt: NOW + 3_600_000,
  scope: 'openid mcp:tools',
  updatedAt: NOW,
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlb-mcp-remote-store-'));
  launch = { hash: 'abc123', storeDir: join(dir, 'mcp-remote-v1'), redirectUrl: 'http://localhost:4000/oauth/callback' };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const store = () => new McpRemoteStore({ now: () => NOW, leaseWaitMs: 600 });

describe('McpRemoteStore', () => {
  it('writes the tokens and client files mcp-remote reads, 0600, and releases the lease', async () => {
    const written = await store().write(launch, login);
    expect(written.location).toBe(tokensPath(launch));
    const tokens = JSON.parse(await readFile(tokensPath(launch), 'utf8'));
    expect(tokens).toEqual({
      access_token: 'at-1',
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'openid mcp:tools',
      refresh_token: 'rt-1',
      issuer: 'https://accounts.example.com',
      expires_at: NOW + 3_600_000,
    });
    const client = JSON.parse(await readFile(clientInfoPath(launch), 'utf8'));
    expect(client).toMatchObject({ client_id: 'client-1', client_secret: 'secret-1', token_endpoint_auth_method: 'client_secret_post', redirect_uris: [launch.redirectUrl], issuer: login.issuer });
    for (const path of [tokensPath(launch), clientInfoPath(launch)]) expect((await stat(path)).mode & 0o777).toBe(0o600);
    await expect(stat(join(launch.storeDir, `${launch.hash}_${LEASE_FILE}`))).rejects.toThrow();
    const read = await store().read(launch);
    expect(mcpRemoteUsability(read.tokens, read.client, launch, NOW)).toEqual({ loggedIn: true, refreshCapable: true, expiresAt: NOW + 3_600_000 });
  });

  it('never rewrites a malformed tokens or client file, and writes nothing then', async () => {
    await mkdir(launch.storeDir, { recursive: true });
    await writeFile(tokensPath(launch), '{"access_token": ');
    await expect(store().write(launch, login)).rejects.toThrow(/tokens file .* is not valid JSON; it was left as it is/);
    expect(await readFile(tokensPath(launch), 'utf8')).toBe('{"access_token": ');
    await expect(stat(clientInfoPath(launch))).rejects.toThrow();

    await rm(tokensPath(launch));
    await writeFile(clientInfoPath(launch), '[]');
    await expect(store().write(launch, login)).rejects.toThrow(/client registration .* must hold a JSON object/);
    expect(await readFile(clientInfoPath(launch), 'utf8')).toBe('[]');
    await expect(stat(tokensPath(launch))).rejects.toThrow();
  });

  it('errors never carry a token', async () => {
    await mkdir(launch.storeDir, { recursive: true });
    await writeFile(tokensPath(launch), JSON.stringify({ access_token: 'SECRET-AT', token_type: 5 }));
    const error = await store().read(launch).catch((e: Error) => e);
    expect(String(error)).toMatch(/token_type/);
    expect(String(error)).not.toContain('SECRET-AT');
  });

  it('gives a static client only a login of the same client id', async () => {
    await expect(store().write({ ...launch, staticClient: { clientId: 'other' } }, login)).rejects.toThrow(/another OAuth client/);
    await store().write({ ...launch, staticClient: { clientId: 'client-1' } }, login);
    await expect(stat(clientInfoPath(launch))).rejects.toThrow(); // mcp-remote reads the static client instead
    expect(JSON.parse(await readFile(tokensPath(launch), 'utf8')).refresh_token).toBe('rt-1');
  });

  it('updates tokens in place, keeping the fields mcp-remote added', async () => {
    await mkdir(launch.storeDir, { recursive: true });
    await writeFile(tokensPath(launch), JSON.stringify({ access_token: 'old', token_type: 'Bearer', refresh_token: 'rt-0', requested_scope: 'openid', id_token: 'x.y.z' }));
    const updated = await store().locked(launch, (s) => s.updateTokens({ ...login, accessToken: 'at-2', refreshToken: 'rt-2' }));
    expect(updated).toBe(true);
    expect(JSON.parse(await readFile(tokensPath(launch), 'utf8'))).toEqual({
      access_token: 'at-2',
      token_type: 'Bearer',
      refresh_token: 'rt-2',
      requested_scope: 'openid',
      expires_in: 3600,
      expires_at: NOW + 3_600_000,
    });
    await rm(tokensPath(launch));
    expect(await store().locked(launch, (s) => s.updateTokens(login))).toBe(false);
  });

  it('deletes both files', async () => {
    await store().write(launch, login);
    expect(await store().delete(launch)).toBe(true);
    expect(await store().delete(launch)).toBe(false);
  });
});

describe("mcp-remote's refresh lease", () => {
  it('waits for a live holder and gives up after the wait', async () => {
    const held = await acquireLease(launch.storeDir, launch.hash, 100);
    await expect(acquireLease(launch.storeDir, launch.hash, 300)).rejects.toThrow(/held its refresh lease/);
    await held.release();
    const again = await acquireLease(launch.storeDir, launch.hash, 100);
    await again.release();
  });

  it('takes over a lease whose process is gone, or that is older than 30 s', async () => {
    await mkdir(launch.storeDir, { recursive: true });
    const path = join(launch.storeDir, `${launch.hash}_${LEASE_FILE}`);
    const child = spawn(process.execPath, ['-e', '']);
    const deadPid = await new Promise<number>((resolve) => child.on('exit', () => resolve(child.pid!)));
    await writeFile(path, JSON.stringify({ pid: deadPid, nonce: 'n', at: Date.now() }));
    await (await acquireLease(launch.storeDir, launch.hash, 100)).release();
    await writeFile(path, JSON.stringify({ pid: process.pid, nonce: 'n', at: Date.now() - 31_000 }));
    await (await acquireLease(launch.storeDir, launch.hash, 100)).release();
  });

  it('does not release a lease someone else took over', async () => {
    const held = await acquireLease(launch.storeDir, launch.hash, 100);
    const path = join(launch.storeDir, `${launch.hash}_${LEASE_FILE}`);
    await writeFile(path, JSON.stringify({ pid: process.pid, nonce: 'theirs', at: Date.now() }));
    await held.release();
    expect(JSON.parse(await readFile(path, 'utf8')).nonce).toBe('theirs');
  });
});

describe('mcpRemoteUsability', () => {
  const tokens = { accessToken: 'a', tokenType: 'Bearer', refreshToken: 'r', expiresAt: NOW - 1, issuer: 'https://i' };
  const client = { clientId: 'c', hasSecret: false, redirectUris: ['http://localhost:4000/oauth/callback'], issuer: 'https://i/' };
  const l = { redirectUrl: 'http://localhost:4000/oauth/callback' };
  it('says why not', () => {
    expect(mcpRemoteUsability(undefined, client, l, NOW)).toMatchObject({ loggedIn: false, refreshCapable: false, reason: 'no login stored' });
    expect(mcpRemoteUsability({ ...tokens, refreshToken: undefined }, client, l, NOW)).toMatchObject({ refreshCapable: false, reason: 'no refresh token' });
    expect(mcpRemoteUsability(tokens, undefined, l, NOW).reason).toMatch(/client_info\.json/);
    expect(mcpRemoteUsability(tokens, { ...client, redirectUris: ['http://localhost:1/cb'] }, l, NOW).reason).toMatch(/deletes it at start/);
    expect(mcpRemoteUsability(tokens, { ...client, issuer: 'https://other' }, l, NOW).reason).toMatch(/different issuers/);
    expect(mcpRemoteUsability(tokens, client, l, NOW)).toEqual({ loggedIn: true, refreshCapable: true, expiresAt: NOW - 1 });
  });
});

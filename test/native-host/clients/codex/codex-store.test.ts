/**
 * The Codex target's file store and formats, in a temp CODEX_HOME. The keychain store and the real
 * Codex binary are in codex-interop.process.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../shared/errors';
import { parseCodexConfig } from '../../../../native-host/clients/codex/codex-config';
import { codexUsability, parseKeyringSecret, toKeyringSecret, type CodexCredential } from '../../../../native-host/clients/codex/codex-entry';
import { CodexStore } from '../../../../native-host/clients/codex/codex-store';
import { codexStoreKey } from '../../../../native-host/clients/codex/store-key';
import type { StoredCredential } from '../../../../native-host/stores/credential';
import { testCredential } from '../../../helpers/credentials';

const NOW = 1_800_000_000_000;
const SERVER = { name: 'gmail', url: 'https://gmailmcp.googleapis.com/mcp/v1' };
const KEY = 'gmail|ccf1c9a68b28be24';

function credential(overrides: Partial<StoredCredential> = {}): StoredCredential {
  return testCredential({
    serverUrl: SERVER.url,
    issuer: 'https://accounts.google.com',
    clientId: 'client-123.apps.googleusercontent.com',
    clientSecret: 'SECRET-never-in-codex',
    tokenEndpointAuthMethod: 'client_secret_post',
    accessToken: 'ya29.ACCESS',
    tokenType: 'bearer',
    refreshToken: '1//REFRESH',
    scope: 'openid email https://www.googleapis.com/auth/gmail.readonly',
    updatedAt: NOW,
    ...overrides,
  });
}

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mlb-codex-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function withConfig(text: string): Promise<CodexStore> {
  await writeFile(join(home, 'config.toml'), text);
  return new CodexStore({ home, now: () => NOW });
}

describe('Codex file store', () => {
  it('writes the flat entry under the store key, 0600, and reads it back', async () => {
    const store = await withConfig('mcp_oauth_credentials_store = "file"\n');
    const result = await store.write(SERVER, credential());
    expect(result.store).toBe('file');
    expect(result.location).toContain(KEY);
    const path = join(home, '.credentials.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc).toEqual({
      [KEY]: {
        server_name: 'gmail',
        server_url: SERVER.url,
        issuer: 'https://accounts.google.com',
        client_id: 'client-123.apps.googleusercontent.com',
        access_token: 'ya29.ACCESS',
        expires_at: NOW + 3_600_000,
        refresh_token: '1//REFRESH',
        scopes: ['openid', 'email', 'https://www.googleapis.com/auth/gmail.readonly'],
      },
    });
    expect(await readFile(path, 'utf8')).not.toContain('SECRET');
    const read = await store.read(SERVER);
    expect(read).toMatchObject({ store: 'file', key: KEY, credential: { refreshToken: '1//REFRESH', issuer: 'https://accounts.google.com', expiresAt: NOW + 3_600_000 } });
  });

  it('keeps every other entry, and drops an entry for the same server under another key (Codex would find it first)', async () => {
    const store = await withConfig('mcp_oauth_credentials_store = "file"\n');
    const other = { server_name: 'linear', server_url: 'https://mcp.linear.app/mcp', client_id: 'x', access_token: 'a', expires_at: null, unknown_field: { kept: [1, 2] } };
    const stale = { server_name: 'gmail', server_url: SERVER.url, client_id: 'old', access_token: 'old', expires_at: 1 };
    await writeFile(join(home, '.credentials.json'), JSON.stringify({ 'gmail|wrongkey': stale, 'linear|0123456789abcdef': other }), { mode: 0o644 });
    await store.write(SERVER, credential());
    const doc = JSON.parse(await readFile(join(home, '.credentials.json'), 'utf8'));
    expect(Object.keys(doc)).toEqual(['linear|0123456789abcdef', KEY]);
    expect(doc['linear|0123456789abcdef']).toEqual(other);
    expect((await stat(join(home, '.credentials.json'))).mode & 0o777).toBe(0o600);
  });

  it('delete removes the entry and keeps the others', async () => {
    const store = await withConfig('mcp_oauth_credentials_store = "file"\n');
    await store.write(SERVER, credential());
    await store.write({ name: 'other', url: 'https://x.example/mcp' }, credential({ serverUrl: 'https://x.example/mcp' }));
    expect(await store.delete(SERVER)).toBe(true);
    expect(await store.read(SERVER)).toBeUndefined();
    expect(await store.read({ name: 'other', url: 'https://x.example/mcp' })).toBeDefined();
    expect(await store.delete(SERVER)).toBe(false);
  });

  it('names the file and field of a damaged entry, never its value', async () => {
    const store = await withConfig('mcp_oauth_credentials_store = "file"\n');
    await writeFile(join(home, '.credentials.json'), JSON.stringify({ [KEY]: { server_name: 'gmail', server_url: SERVER.url, client_id: 'c', access_token: 12345, expires_at: 'ya29.SECRET' } }));
    const error = await store.read(SERVER).catch((e: Error) => e);
    expect(error).toMatchObject({ code: ErrorCode.StoreFailed });
    expect((error as Error).message).toContain(join(home, '.credentials.json'));
    expect((error as Error).message).toContain('"access_token"');
    expect((error as Error).message).not.toContain('SECRET');
    await writeFile(join(home, '.credentials.json'), '{"gmail": "ya29.SECRET"');
    const broken = await store.write(SERVER, credential()).catch((e: Error) => e);
    expect((broken as Error).message).toMatch(/not valid JSON/);
    expect((broken as Error).message).not.toContain('SECRET');
    // The damaged file was not replaced.
    expect(await readFile(join(home, '.credentials.json'), 'utf8')).toBe('{"gmail": "ya29.SECRET"');
  });

  it('waits for a process holding Codex\'s file-store lock, and gives up clearly after the timeout', async () => {
    const store = new CodexStore({ home, now: () => NOW, lock: { timeoutMs: 1000 } });
    await writeFile(join(home, 'config.toml'), 'mcp_oauth_credentials_store = "file"\n');
    const lockFile = join(home, 'mcp-oauth-locks', 'file-store.lock');
    await store.write(SERVER, credential()); // creates the lock directory and files
    const holder = spawn('flock', ['--exclusive', '--close', lockFile, 'sleep', '30'], { stdio: 'ignore' });
    // Until the holder has it: flock(1) without waiting exits 1 while someone holds the lock.
    const tryLock = () => new Promise<number | null>((resolve) => spawn('flock', ['--exclusive', '--nonblock', lockFile, 'true'], { stdio: 'ignore' }).once('close', resolve));
    while ((await tryLock()) !== 1) await new Promise((r) => setTimeout(r, 20));
    const started = performance.now();
    const error = await store.write(SERVER, credential({ refreshToken: 'NEW' })).catch((e: Error) => e);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(error).toMatchObject({ code: ErrorCode.StoreFailed });
    expect((error as Error).message).toContain(lockFile);
    expect((await store.read(SERVER))?.credential.refreshToken).toBe('1//REFRESH');
    holder.kill();
    await new Promise((r) => holder.once('close', r));
    await store.write(SERVER, credential({ refreshToken: 'NEW' }));
    expect((await store.read(SERVER))?.credential.refreshToken).toBe('NEW');
  });

  it('locked holds Codex\'s per-server lock until its function returns, and writes inside it without deadlocking', async () => {
    const store = await withConfig('mcp_oauth_credentials_store = "file"\n');
    await store.write(SERVER, credential());
    const serverLock = store.lockPaths(KEY).server;
    // flock(1) without waiting: exit 1 while someone (we) holds the lock, as a Codex refresh would find it.
    const tryLock = () => new Promise<number | null>((resolve) => spawn('flock', ['--exclusive', '--nonblock', serverLock, 'true'], { stdio: 'ignore' }).once('close', resolve));
    const inside = await store.locked(SERVER, async (session) => {
      const found = await session.read();
      await session.write({ ...found!.credential, refreshToken: 'ROTATED' });
      return tryLock();
    });
    expect(inside).toBe(1);
    expect(await tryLock()).toBe(0);
    expect((await store.read(SERVER))?.credential.refreshToken).toBe('ROTATED');
  });

  it('refuses Codex\'s encrypted secrets store and names what to set', async () => {
    const flagged = await withConfig('[features]\nsecret_auth_storage = true\n');
    const error = await flagged.write(SERVER, credential()).catch((e: Error) => e);
    expect((error as Error).message).toContain('mcp_oauth.age');
    expect((error as Error).message).toContain('mcp_oauth_credentials_store = "keyring"');
    expect((error as Error).message).toContain('secret_auth_storage = false');
    const windows = new CodexStore({ home, platform: 'win32' });
    await writeFile(join(home, 'config.toml'), '');
    await expect(windows.storeMode()).rejects.toMatchObject({ code: ErrorCode.StoreFailed });
    await writeFile(join(home, 'config.toml'), '[features]\nsecret_auth_storage = false\n');
    await expect(windows.storeMode()).resolves.toBe('auto');
  });
});

describe('Codex keyring value', () => {
  it('round-trips the nested form with token_type and ms expiry', () => {
    const c: CodexCredential = {
      serverName: 'mock', serverUrl: 'http://127.0.0.1:1/mcp', issuer: 'http://127.0.0.1:2', clientId: 'cid',
      accessToken: 'A', tokenType: 'bearer', refreshToken: 'R', expiresAt: NOW + 60_000, scopes: ['openid', 'email'],
    };
    const json = toKeyringSecret(c, NOW);
    expect(JSON.parse(json)).toEqual({
      server_name: 'mock', url: 'http://127.0.0.1:1/mcp', issuer: 'http://127.0.0.1:2', client_id: 'cid',
      token_response: { access_token: 'A', token_type: 'Bearer', expires_in: 60, refresh_token: 'R', scope: 'openid email' },
      expires_at: NOW + 60_000,
    });
    expect(Object.keys(JSON.parse(json))).toEqual(['server_name', 'url', 'issuer', 'client_id', 'token_response', 'expires_at']);
    expect(parseKeyringSecret(JSON.parse(json), 'x')).toEqual({ ...c, tokenType: 'Bearer' });
  });

  it('refuses an entry without token_type, naming the field', () => {
    const value = { server_name: 'm', url: 'u', client_id: 'c', token_response: { access_token: 'SECRET' }, expires_at: 1 };
    expect(() => parseKeyringSecret(value, 'Codex keychain entry "m|x"')).toThrow(/Codex keychain entry "m\|x", "token_response": "token_type" is missing/);
  });
});

describe('when Codex considers a login usable', () => {
  const base: CodexCredential = { serverName: 'm', serverUrl: 'u', issuer: 'i', clientId: 'c', accessToken: 'a', tokenType: 'Bearer', refreshToken: 'r', expiresAt: NOW - 1, scopes: [] };
  it.each([
    ['expired with refresh token and issuer', base, { loggedIn: true, refreshCapable: true }],
    ['expired without issuer', { ...base, issuer: undefined }, { loggedIn: false, refreshCapable: false }],
    ['expired without refresh token', { ...base, refreshToken: undefined }, { loggedIn: false, refreshCapable: false }],
    ['fresh without refresh token', { ...base, refreshToken: undefined, expiresAt: NOW + 3_600_000 }, { loggedIn: true, refreshCapable: false }],
    ['empty client id', { ...base, clientId: '' }, { loggedIn: false, refreshCapable: false }],
  ])('%s', (_name, c, expected) => {
    expect(codexUsability(c as CodexCredential, NOW)).toMatchObject(expected);
  });
});

describe('Codex config.toml', () => {
  it('reads the store mode and the URL servers with their OAuth settings', () => {
    const config = parseCodexConfig(
      `# comment\nmcp_oauth_credentials_store = "keyring"\n\n[mcp_servers.gmail]\nurl = "${SERVER.url}"\nscopes = ["a", "b"]\n\n[mcp_servers.gmail.oauth]\nclient_id = "cid"\nclient_secret = "sec"\n\n[mcp_servers.local]\ncommand = "npx"\n`,
      home,
    );
    expect(config.credentialsStore).toBe('keyring');
    expect(config.servers).toEqual([{ name: 'gmail', url: SERVER.url, enabled: true, scopes: ['a', 'b'], oauth: { clientId: 'cid', clientSecret: 'sec' } }]);
    expect(codexStoreKey(config.servers[0]!.name, config.servers[0]!.url)).toBe(KEY);
  });

  it('reports a syntax error by position, without quoting the file', () => {
    expect(() => parseCodexConfig('[mcp_servers.gmail.oauth]\nclient_secret = "GOCSPX-SECRET\n', home)).toThrow(/line 2, column \d+/);
    try {
      parseCodexConfig('[mcp_servers.gmail.oauth]\nclient_secret = "GOCSPX-SECRET\n', home);
    } catch (error) {
      expect((error as Error).message).not.toContain('GOCSPX');
    }
    expect(() => parseCodexConfig('mcp_oauth_credentials_store = "vault"\n', home)).toThrow(/mcp_oauth_credentials_store must be/);
  });
});

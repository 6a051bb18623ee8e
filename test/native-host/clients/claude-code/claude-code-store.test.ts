/** Claude Code's credential file, in a temp CLAUDE_CONFIG_DIR. The real binary is in claude-code-interop.process.test.ts. */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../../shared/errors';
import { claudeUsability } from '../../../../native-host/clients/claude-code/claude-entry';
import { ClaudeCodeStore } from '../../../../native-host/clients/claude-code/claude-code-store';
import { claudeCredentialsPath, claudeKeychainAccount, claudeKeychainService } from '../../../../native-host/clients/claude-code/claude-paths';
import type { StoredCredential } from '../../../../native-host/stores/credential';
import { testCredential } from '../../../helpers/credentials';

const NOW = 1_800_000_000_000;
const SERVER = { name: 'gmail', type: 'http', url: 'https://gmailmcp.googleapis.com/mcp/v1' };
const KEY = 'gmail|ccf1c9a68b28be24';
const DISCOVERY = { authorizationServerUrl: 'https://accounts.google.com', resourceMetadataUrl: 'https://gmailmcp.googleapis.com/.well-known/oauth-protected-resource/mcp/v1' };

function credential(overrides: Partial<StoredCredential> = {}): StoredCredential {
  return testCredential({
    serverUrl: SERVER.url, issuer: 'https://accounts.google.com', clientId: 'cid.apps.googleusercontent.com', clientSecret: 'GOCSPX-secret',
    tokenEndpointAuthMethod: 'client_secret_post', accessToken: 'ya29.A', tokenType: 'bearer', refreshToken: '1//R', updatedAt: NOW, ...overrides,
  });
}

let dir: string;
let store: ClaudeCodeStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlb-claude-'));
  store = new ClaudeCodeStore({ env: { CLAUDE_CONFIG_DIR: dir, HOME: dir }, platform: 'linux', lockWaitMs: 1000 });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Claude Code credentials file', () => {
  it('writes mcpOAuth[key] with the fields Claude reads, keeps every other key, 0600', async () => {
    const others = {
      claudeAiOauth: { accessToken: 'sk-ant-keep', expiresAt: 5, scopes: ['user:inference'] },
      mcpOAuth: { 'linear|0123456789abcdef': { serverName: 'linear', serverUrl: 'https://mcp.linear.app/mcp', accessToken: 'keep', extra: [1] } },
      mcpOAuthClientConfig: { [KEY]: { other: true } },
      somethingNew: { nested: { x: 1 } },
    };
    await writeFile(join(dir, '.credentials.json'), JSON.stringify(others), { mode: 0o644 });
    const result = await store.write(SERVER, credential(), DISCOVERY);
    expect(result.location).toContain(KEY);
    const path = join(dir, '.credentials.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc.claudeAiOauth).toEqual(others.claudeAiOauth);
    expect(doc.somethingNew).toEqual(others.somethingNew);
    expect(doc.mcpOAuth['linear|0123456789abcdef']).toEqual(others.mcpOAuth['linear|0123456789abcdef']);
    expect(doc.mcpOAuth[KEY]).toEqual({
      serverName: 'gmail', serverUrl: SERVER.url, clientId: 'cid.apps.googleusercontent.com', clientSecret: 'GOCSPX-secret',
      issuer: 'https://accounts.google.com', accessToken: 'ya29.A', refreshToken: '1//R', expiresAt: NOW + 3_600_000, scope: 'openid email',
      discoveryState: { ...DISCOVERY, oauthMetadataFound: true },
    });
    expect(doc.mcpOAuthClientConfig[KEY]).toEqual({ other: true, clientSecret: 'GOCSPX-secret' });
    const read = await store.read(SERVER);
    expect(read?.credential).toMatchObject({ refreshToken: '1//R', issuer: 'https://accounts.google.com', authorizationServerUrl: 'https://accounts.google.com' });
    expect(claudeUsability(read!.credential, NOW + 4_000_000)).toEqual({ loggedIn: true, refreshCapable: true });
  });

  it('delete removes only this server', async () => {
    await store.write(SERVER, credential(), DISCOVERY);
    await store.write({ name: 'x', url: 'https://x.example/mcp' }, credential(), DISCOVERY);
    expect(await store.delete(SERVER)).toBe(true);
    expect(await store.read(SERVER)).toBeUndefined();
    expect(await store.read({ name: 'x', url: 'https://x.example/mcp' })).toBeDefined();
  });

  it('refuses the keychain overflow format instead of losing the overflow items', async () => {
    await writeFile(join(dir, '.credentials.json'), JSON.stringify({ keychainOverflow: { parts: 2 } }));
    await expect(store.write(SERVER, credential(), DISCOVERY)).rejects.toThrow(/keychainOverflow/);
  });

  it('names the file and field of a damaged entry, never a value', async () => {
    await writeFile(join(dir, '.credentials.json'), JSON.stringify({ mcpOAuth: { [KEY]: { serverName: 'gmail', serverUrl: SERVER.url, expiresAt: 'ya29.SECRET' } } }));
    const error = (await store.read(SERVER).catch((e: Error) => e)) as Error;
    expect(error).toMatchObject({ code: ErrorCode.StoreFailed });
    expect(error.message).toContain(join(dir, '.credentials.json'));
    expect(error.message).toContain('"expiresAt"');
    expect(error.message).not.toContain('SECRET');
  });

  it('waits for Claude\'s storage write lock and gives up clearly', async () => {
    const release = await lockfile.lock(join(dir, '.storage-write'), { realpath: false });
    try {
      const error = (await store.write(SERVER, credential(), DISCOVERY).catch((e: Error) => e)) as Error;
      expect(error.message).toContain('.storage-write.lock');
    } finally {
      await release();
    }
    await store.write(SERVER, credential(), DISCOVERY);
    expect(await store.read(SERVER)).toBeDefined();
  });
});

describe('Claude Code locations', () => {
  it('names the keychain item as Claude does', () => {
    expect(claudeKeychainService({ HOME: '/home/u' })).toBe('Claude Code-credentials');
    const hash = createHash('sha256').update('/cfg').digest('hex').slice(0, 8);
    expect(claudeKeychainService({ CLAUDE_CONFIG_DIR: '/cfg' })).toBe(`Claude Code-credentials-${hash}`);
    expect(claudeKeychainAccount({ USER: 'alice' })).toBe('alice');
    expect(claudeKeychainAccount({ USER: 'a b' })).toBe('claude-code-user');
    expect(claudeCredentialsPath({ CLAUDE_CONFIG_DIR: '/cfg', CLAUDE_SECURESTORAGE_CONFIG_DIR: '/sec' })).toBe('/sec/.credentials.json');
    expect(claudeCredentialsPath({ HOME: '/home/u' })).toBe('/home/u/.claude/.credentials.json');
  });
});

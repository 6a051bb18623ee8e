import { createDecipheriv, scryptSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GeminiEncryptedFile, geminiAccountName } from '../../../../native-host/clients/gemini-cli/gemini-encrypted-file';
import { GeminiStore, geminiStoreMode } from '../../../../native-host/clients/gemini-cli/gemini-store';
import type { StoredCredential } from '../../../../native-host/stores/credential';
import { testCredential } from '../../../helpers/credentials';

let home: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mlb-gemini-store-'));
  env = { GEMINI_CLI_HOME: home };
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const tokenFile = () => join(home, '.gemini', 'mcp-oauth-tokens.json');
const server = { name: 'docs', url: 'http://127.0.0.1:7000/mcp' };
const TOKEN_URL = 'http://127.0.0.1:7001/token';

function credential(overrides: Partial<StoredCredential> = {}): StoredCredential {
  return testCredential({ serverUrl: server.url, issuer: 'http://127.0.0.1:7001', accessToken: 'access-SECRET', refreshToken: 'refresh-SECRET', expiresAt: 1_900_000_000_000, updatedAt: 1, ...overrides });
}

describe('geminiStoreMode', () => {
  it('follows the environment as Gemini does', () => {
    expect(geminiStoreMode({})).toBe('file');
    expect(geminiStoreMode({ GEMINI_FORCE_FILE_STORAGE: 'true' })).toBe('file');
    expect(geminiStoreMode({ GEMINI_FORCE_ENCRYPTED_FILE_STORAGE: '1' })).toBe('file');
    expect(geminiStoreMode({ GEMINI_FORCE_ENCRYPTED_FILE_STORAGE: 'true', GEMINI_FORCE_FILE_STORAGE: 'true' })).toBe('encrypted-file');
    expect(geminiStoreMode({ GEMINI_FORCE_ENCRYPTED_FILE_STORAGE: 'true' })).toBe('keychain');
  });
});

describe('GeminiStore, default token file', () => {
  it("writes Gemini's exact entry (0600) and keeps every other element as it was", async () => {
    await mkdir(join(home, '.gemini'), { recursive: true });
    const other = { serverName: 'other', token: { accessToken: 'x', tokenType: 'Bearer' }, unknownField: { kept: true }, updatedAt: 5 };
    const stale = { serverName: 'docs', token: { accessToken: 'old', tokenType: 'Bearer' } };
    await writeFile(tokenFile(), JSON.stringify([stale, other, 'not an entry', { serverName: 'docs', token: { accessToken: 'older' } }]));
    const store = new GeminiStore({ env });
    expect(await store.write(server, credential(), TOKEN_URL, 1234)).toBe(tokenFile());
    const onDisk = JSON.parse(await readFile(tokenFile(), 'utf8'));
    expect(onDisk).toEqual([
      {
        serverName: 'docs',
        token: { accessToken: 'access-SECRET', tokenType: 'Bearer', refreshToken: 'refresh-SECRET', scope: 'openid email', expiresAt: 1_900_000_000_000 },
        clientId: 'client-1',
        tokenUrl: TOKEN_URL,
        mcpServerUrl: server.url,
        updatedAt: 1234,
      },
      other,
      'not an entry',
    ]);
    expect((await stat(tokenFile())).mode & 0o777).toBe(0o600);
    // Gemini writes it pretty-printed; so do we (a diff of the file stays readable).
    expect(await readFile(tokenFile(), 'utf8')).toBe(JSON.stringify(onDisk, null, 2));
    const read = await store.read('docs');
    expect(read?.credential).toMatchObject({ serverName: 'docs', accessToken: 'access-SECRET', refreshToken: 'refresh-SECRET', clientId: 'client-1', tokenUrl: TOKEN_URL, expiresAt: 1_900_000_000_000 });
  });

  it('reports a malformed token file without rewriting it, and without quoting it', async () => {
    await mkdir(join(home, '.gemini'), { recursive: true });
    for (const text of ['[{"serverName": "docs", "token": {"accessToken": "leaked-SECRET"', '{"serverName": "docs"}']) {
      await writeFile(tokenFile(), text);
      const store = new GeminiStore({ env });
      const failure = await store.write(server, credential(), TOKEN_URL, 1).catch((e: Error) => e);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toContain(tokenFile());
      expect((failure as Error).message).not.toContain('SECRET');
      await expect(store.read('docs')).rejects.toThrow(tokenFile());
      expect(await readFile(tokenFile(), 'utf8')).toBe(text);
    }
  });

  it('names the field of a bad entry, never its value', async () => {
    await mkdir(join(home, '.gemini'), { recursive: true });
    await writeFile(tokenFile(), JSON.stringify([{ serverName: 'docs', token: { accessToken: 'a-SECRET', expiresAt: 'soon-SECRET' } }]));
    const failure = await new GeminiStore({ env }).read('docs').catch((e: Error) => e);
    expect((failure as Error).message).toMatch(/"expiresAt" must be a number, got string/);
    expect((failure as Error).message).not.toContain('SECRET');
  });

  it('updates tokens only while the entry is as read, and keeps its other fields', async () => {
    const store = new GeminiStore({ env });
    await store.write(server, credential(), TOKEN_URL, 1);
    const read = (await store.read('docs'))!;
    expect(await store.updateTokens('docs', read, { accessToken: 'new-access', refreshToken: 'new-refresh', expiresAt: 2_000_000_000_000 }, 99)).toBe(true);
    const after = (await store.read('docs'))!;
    expect(after.credential).toMatchObject({ accessToken: 'new-access', refreshToken: 'new-refresh', expiresAt: 2_000_000_000_000, tokenType: 'Bearer', clientId: 'client-1', tokenUrl: TOKEN_URL, updatedAt: 99 });
    // `read` is now stale (as if Gemini had refreshed since): nothing is written.
    expect(await store.updateTokens('docs', read, { accessToken: 'late', expiresAt: null }, 100)).toBe(false);
    expect((await store.read('docs'))!.credential.accessToken).toBe('new-access');
  });

  it('deletes an entry, and the file with the last one, as Gemini does', async () => {
    const store = new GeminiStore({ env });
    await store.write(server, credential(), TOKEN_URL, 1);
    await store.write({ name: 'two', url: 'http://127.0.0.1:7002/mcp' }, credential(), TOKEN_URL, 1);
    expect(await store.delete('docs')).toBe(true);
    expect(await store.delete('docs')).toBe(false);
    expect(await store.read('two')).toBeDefined();
    expect(await store.delete('two')).toBe(true);
    await expect(stat(tokenFile())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('uses ~/.cache/.gemini under the macOS seatbelt sandbox, as Gemini does', async () => {
    const store = new GeminiStore({ env: { ...env, SANDBOX: 'sandbox-exec' } });
    expect(store.describe()).toBe(join(home, '.cache', '.gemini', 'mcp-oauth-tokens.json'));
  });
});

describe('GeminiStore, encrypted file', () => {
  const modeEnv = () => ({ ...env, GEMINI_FORCE_ENCRYPTED_FILE_STORAGE: 'true', GEMINI_FORCE_FILE_STORAGE: 'true' });
  const vaultPath = () => join(home, '.gemini', 'gemini-credentials.json');

  /** Gemini's FileKeychain decryption, spelled out from its bundle, independent of our class. */
  function geminiDecrypt(content: string, host: string, user: string): unknown {
    const [iv, tag, data] = content.split(':');
    const key = scryptSync('gemini-cli-oauth', `${host}-${user}-gemini-cli`, 32);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'hex'), { authTagLength: 16 });
    decipher.setAuthTag(Buffer.from(tag!, 'hex'));
    return JSON.parse(decipher.update(data!, 'hex', 'utf8') + decipher.final('utf8'));
  }

  it("writes the entry under service gemini-cli-oauth and the sanitized name, keeping Gemini's other secrets", async () => {
    const facts = { host: 'box', user: 'ann' };
    const vault = new GeminiEncryptedFile(vaultPath(), facts);
    await mkdir(join(home, '.gemini'), { recursive: true });
    await vault.set('main-account', '{"serverName":"main-account"}');
    await vault.set('__secret__x', 'kept', 'other-service');
    const store = new GeminiStore({ env: modeEnv(), ...facts });
    const odd = { name: 'my server/1', url: server.url };
    expect(await store.write(odd, credential(), TOKEN_URL, 7)).toBe(`${vaultPath()} (encrypted)`);
    const decrypted = geminiDecrypt(await readFile(vaultPath(), 'utf8'), 'box', 'ann') as Record<string, Record<string, string>>;
    expect(geminiAccountName(odd.name)).toBe('my_server_1');
    expect(Object.keys(decrypted['gemini-cli-oauth']!)).toEqual(['main-account', 'my_server_1']);
    expect(JSON.parse(decrypted['gemini-cli-oauth']!['my_server_1']!)).toMatchObject({ serverName: 'my server/1', token: { accessToken: 'access-SECRET' }, tokenUrl: TOKEN_URL });
    expect(decrypted['other-service']).toEqual({ __secret__x: 'kept' });
    expect((await stat(vaultPath())).mode & 0o777).toBe(0o600);
    expect((await store.read('my server/1'))?.credential.refreshToken).toBe('refresh-SECRET');
  });

  it('refuses a file it cannot decrypt (another machine or user), leaving it untouched', async () => {
    await new GeminiEncryptedFile(vaultPath(), { host: 'other', user: 'ann' }).set('x', 'y');
    const before = await readFile(vaultPath(), 'utf8');
    const store = new GeminiStore({ env: modeEnv(), host: 'box', user: 'ann' });
    await expect(store.write(server, credential(), TOKEN_URL, 1)).rejects.toThrow(/cannot be decrypted/);
    expect(await readFile(vaultPath(), 'utf8')).toBe(before);
  });

  it('hides an expired entry without a refresh token, as Gemini does', async () => {
    const store = new GeminiStore({ env: modeEnv(), host: 'box', user: 'ann' });
    const { refreshToken: _r, ...noRefresh } = credential({ expiresAt: 1000 });
    await store.write(server, noRefresh, TOKEN_URL, 1);
    expect(await store.read('docs')).toBeUndefined();
  });
});

describe('GeminiStore, OS keychain mode', () => {
  it('writes nothing and says what to do', async () => {
    const store = new GeminiStore({ env: { ...env, GEMINI_FORCE_ENCRYPTED_FILE_STORAGE: 'true' } });
    expect(store.mode).toBe('keychain');
    const failure = await store.write(server, credential(), TOKEN_URL, 1).catch((e: Error) => e);
    expect((failure as Error).message).toMatch(/OS keychain.*nothing was written for docs.*GEMINI_FORCE_FILE_STORAGE=true/s);
    await expect(stat(join(home, '.gemini'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

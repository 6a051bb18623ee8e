/**
 * Codex's "auto" store after a keychain write that succeeded: a `.credentials.json` we cannot
 * clean up is a warning next to the written login, never "Not written to codex". The keychain is
 * an in-memory fake here (the real Secret Service is in codex-interop.process.test.ts).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeCodexConfig } from '../../../helpers/credentials';

const keychain = vi.hoisted(() => new Map<string, string>());
vi.mock('../../../../native-host/stores/keyring-entry', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../../native-host/stores/keyring-entry')>();
  const id = (i: { service: string; account: string }) => `${i.service}\u0000${i.account}`;
  return {
    ...real,
    keyringGet: async (i: { service: string; account: string }) => keychain.get(id(i)),
    keyringSet: async (i: { service: string; account: string }, secret: string) => void keychain.set(id(i), secret),
    keyringDelete: async (i: { service: string; account: string }) => keychain.delete(id(i)),
  };
});

const { ClientLogins } = await import('../../../../native-host/clients/client-logins');
const { CodexAdapter } = await import('../../../../native-host/clients/codex/codex-adapter');
const { ClaudeCodeAdapter } = await import('../../../../native-host/clients/claude-code/claude-code-adapter');
const { CodexStore } = await import('../../../../native-host/clients/codex/codex-store');

const NOW = 1_800_000_000_000;
const SERVER = { name: 'gmail', url: 'https://gmailmcp.googleapis.com/mcp/v1' };
const KEY = 'gmail|ccf1c9a68b28be24';
const BROKEN_FILE = '{"gmail|ccf1c9a68b28be24": {"access_token": "OLD-TOKEN-in-a-broken-file",';
const CREDENTIAL = {
  serverUrl: SERVER.url,
  resource: SERVER.url,
  issuer: 'https://accounts.google.com',
  clientId: 'client-123',
  tokenEndpointAuthMethod: 'none' as const,
  accessToken: 'ya29.NEW-ACCESS',
  tokenType: 'bearer',
  refreshToken: '1//NEW-REFRESH',
  expiresAt: NOW + 3_600_000,
  scope: 'openid email',
  updatedAt: NOW,
};

let home: string;
beforeEach(async () => {
  keychain.clear();
  home = await mkdtemp(join(tmpdir(), 'mlb-codex-auto-'));
  await writeCodexConfig(home, [{ name: 'gmail', url: SERVER.url }], null); // store: auto (the default)
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('Codex auto store, keychain written but the file entry cannot be removed', () => {
  it('reports the keychain write, with a warning naming the file and when Codex would read it', async () => {
    await writeFile(join(home, '.credentials.json'), BROKEN_FILE, { mode: 0o600 });
    const store = new CodexStore({ home, platform: 'linux', now: () => NOW });
    const result = await store.write(SERVER, CREDENTIAL);
    expect(result.store).toBe('keyring');
    expect(result.location).toContain(KEY);
    expect(keychain.size).toBe(1);
    expect(result.warning).toContain(join(home, '.credentials.json'));
    expect(result.warning).toMatch(/reads first/);
    expect(result.warning).toMatch(/fall back to that file entry/);
    expect(result.warning).not.toMatch(/OLD-TOKEN|NEW-ACCESS|NEW-REFRESH/);
    // The broken file is left as it was (it may hold other logins).
    expect(await readFile(join(home, '.credentials.json'), 'utf8')).toBe(BROKEN_FILE);
    // And Codex (reading the keychain first) gets the new login.
    expect(await store.read(SERVER)).toMatchObject({ store: 'keyring', credential: { accessToken: 'ya29.NEW-ACCESS' } });
  });

  it('lists codex as stored, with the warning as a notice instead of "Not written"', async () => {
    await writeFile(join(home, '.credentials.json'), BROKEN_FILE, { mode: 0o600 });
    const codex = new CodexStore({ home, platform: 'linux', now: () => NOW });
    const empty = await mkdtemp(join(tmpdir(), 'mlb-codex-auto-claude-'));
    try {
      const env = { HOME: empty, CLAUDE_CONFIG_DIR: empty };
      const clients = new ClientLogins({ adapters: [new CodexAdapter({ store: codex }), new ClaudeCodeAdapter({ env, projectDir: empty })] });
      const result = await clients.write(CREDENTIAL);
      expect(result.stored).toEqual([expect.objectContaining({ target: 'codex', server: 'gmail' })]);
      expect(result.notices.map((n) => n.message).join('\n')).not.toMatch(/Not written/);
      expect(result.notices).toContainEqual(expect.objectContaining({ target: 'codex', server: 'gmail', message: expect.stringContaining('.credentials.json') }));
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('still removes a readable old file entry, with no warning', async () => {
    const other = { server_name: 'linear', server_url: 'https://mcp.linear.app/mcp', client_id: 'x', access_token: 'a', expires_at: null };
    await writeFile(
      join(home, '.credentials.json'),
      JSON.stringify({ [KEY]: { server_name: 'gmail', server_url: SERVER.url, client_id: 'c', access_token: 'OLD', expires_at: null }, other }),
      { mode: 0o600 },
    );
    const result = await new CodexStore({ home, platform: 'linux', now: () => NOW }).write(SERVER, CREDENTIAL);
    expect(result).not.toHaveProperty('warning');
    expect(JSON.parse(await readFile(join(home, '.credentials.json'), 'utf8'))).toEqual({ other });
  });
});

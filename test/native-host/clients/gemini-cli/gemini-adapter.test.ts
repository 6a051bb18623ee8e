import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGeminiAdapter } from '../../../../native-host/clients/gemini-cli/gemini-adapter';
import type { StoredCredential } from '../../../../native-host/stores/credential';
import { testCredential } from '../../../helpers/credentials';

let home: string;
let project: string;
let env: NodeJS.ProcessEnv;

const URL_ = 'http://127.0.0.1:7000/mcp';
const TOKEN_URL = 'http://127.0.0.1:7001/token';

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mlb-gemini-adapter-'));
  project = join(home, 'project');
  await mkdir(join(home, '.gemini'), { recursive: true });
  await mkdir(project, { recursive: true });
  env = { GEMINI_CLI_HOME: home, HOME: home, XDG_DATA_HOME: join(home, 'data') };
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const settings = (servers: Record<string, unknown>) => writeFile(join(home, '.gemini', 'settings.json'), JSON.stringify({ mcpServers: servers }));
const tokenFile = () => join(home, '.gemini', 'mcp-oauth-tokens.json');
const adapter = () => createGeminiAdapter({ env, projectDir: project, now: () => 1_000 });

function credential(overrides: Partial<StoredCredential> = {}): StoredCredential {
  return testCredential({ serverUrl: URL_, issuer: 'http://127.0.0.1:7001', scope: 'openid', expiresAt: 1_900_000_000_000, updatedAt: 1, ...overrides });
}

type Server = Parameters<ReturnType<typeof adapter>['read']>[0];

/** The adapter's own server, as the registry hands it back to the adapter that found it. */
async function server(name = 'docs'): Promise<Server> {
  const found = await adapter().discover();
  const s = found.servers.find((x) => x.name === name);
  if (!s) throw new Error(`no ${name}`);
  return s as Server;
}

describe('Gemini CLI adapter', () => {
  it('writes a public client login with the token endpoint and reads it back with the issuer noted', async () => {
    await settings({ docs: { httpUrl: URL_ } });
    const a = adapter();
    const s = await server();
    expect(s).toMatchObject({ client: 'gemini-cli', name: 'docs', url: URL_, entryKey: 'docs', storeReachable: true });
    const outcome = await a.write(s, credential(), { tokenEndpoint: TOKEN_URL });
    expect(outcome).toEqual({ location: tokenFile(), notices: [] });
    const entry = await a.read(s);
    expect(entry).toMatchObject({ issuer: 'http://127.0.0.1:7001', clientId: 'client-1', refreshToken: 'refresh-SECRET', store: 'file' });
    expect(a.usability(s, entry!, { now: 1_000, ours: credential() })).toEqual({ loggedIn: true, refreshCapable: true });
  });

  it('writes a confidential client login but says which settings Gemini needs to refresh it, without the secret', async () => {
    await settings({ docs: { httpUrl: URL_ } });
    const a = adapter();
    const s = await server();
    const google = credential({ tokenEndpointAuthMethod: 'client_secret_post', clientSecret: 'the-SECRET' });
    const outcome = await a.write(s, google, { tokenEndpoint: TOKEN_URL });
    expect(outcome.location).toBe(tokenFile());
    expect(outcome.notices).toHaveLength(1);
    expect(outcome.notices[0]).toMatchObject({ target: 'gemini-cli', kind: 'settings-missing', server: 'docs' });
    expect(outcome.notices[0]!.message).toContain('"clientSecret"');
    expect(JSON.stringify(outcome)).not.toContain('SECRET');
    const entry = await a.read(s);
    expect(a.usability(s, entry!, { now: 1_000, ours: google })).toMatchObject({ refreshCapable: false });
  });

  it('leaves the entry alone when the settings name another client id', async () => {
    await settings({ docs: { httpUrl: URL_, oauth: { enabled: true, clientId: 'someone-else' } } });
    const outcome = await adapter().write(await server(), credential(), { tokenEndpoint: TOKEN_URL });
    expect(outcome.location).toBeUndefined();
    expect(outcome.notices[0]).toMatchObject({ kind: 'client-id-mismatch', server: 'docs' });
    await expect(readFile(tokenFile())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports unreadable settings as config-unreadable notices and a malformed token file as unwritable', async () => {
    await writeFile(join(home, '.gemini', 'settings.json'), '{ not json');
    await mkdir(join(project, '.gemini'));
    await writeFile(join(project, '.gemini', 'settings.json'), JSON.stringify({ mcpServers: { docs: { httpUrl: URL_ } } }));
    const found = await adapter().discover();
    expect(found.servers.map((s) => s.name)).toEqual(['docs']);
    expect(found.problems).toEqual([expect.objectContaining({ target: 'gemini-cli', kind: 'config-unreadable' })]);
    await writeFile(tokenFile(), '{"broken": ');
    expect(await adapter().checkWritable(found.servers[0]! as Server)).toMatchObject({ kind: 'store-unwritable', server: 'docs' });
    await expect(adapter().write(found.servers[0]! as Server, credential(), { tokenEndpoint: TOKEN_URL })).rejects.toThrow(tokenFile());
    expect(await readFile(tokenFile(), 'utf8')).toBe('{"broken": ');
  });

  it('under its lock, writes new tokens only while Gemini has not changed the entry', async () => {
    await settings({ docs: { httpUrl: URL_ } });
    const a = adapter();
    const s = await server();
    await a.write(s, credential(), { tokenEndpoint: TOKEN_URL });
    const warning = await a.withLock(s, async (held) => {
      await held.read();
      // Gemini refreshes meanwhile: it rewrites the whole file.
      const doc = JSON.parse(await readFile(tokenFile(), 'utf8'));
      doc[0].token.accessToken = 'gemini-refreshed';
      await writeFile(tokenFile(), JSON.stringify(doc));
      return held.updateTokens(credential({ accessToken: 'ours-new', refreshToken: 'rotated' }));
    });
    expect(warning).toMatch(/changed its login meanwhile/);
    expect((await a.read(s))?.accessToken).toBe('gemini-refreshed');
    expect(await a.withLock(s, async (held) => (await held.read(), held.updateTokens(credential({ accessToken: 'ours-new', refreshToken: 'rotated', expiresAt: 1_950_000_000_000 }))))).toBeUndefined();
    expect(await a.read(s)).toMatchObject({ accessToken: 'ours-new', refreshToken: 'rotated', expiresAt: 1_950_000_000_000, clientId: 'client-1' });
  });

  it('deletes its copy on logout', async () => {
    await settings({ docs: { httpUrl: URL_ } });
    const a = adapter();
    const s = await server();
    await a.write(s, credential(), { tokenEndpoint: TOKEN_URL });
    expect(await a.delete(s)).toBe(tokenFile());
    expect(await a.delete(s)).toBeUndefined();
  });

  it('in keychain mode, marks the store unreachable and refuses to write, saying what to do', async () => {
    await settings({ docs: { httpUrl: URL_ } });
    env = { ...env, GEMINI_FORCE_ENCRYPTED_FILE_STORAGE: 'true' };
    const s = await server();
    expect(s.storeReachable).toBe(false);
    expect(await adapter().checkWritable(s)).toMatchObject({ kind: 'store-unwritable', message: expect.stringContaining('GEMINI_FORCE_FILE_STORAGE=true') });
  });
});

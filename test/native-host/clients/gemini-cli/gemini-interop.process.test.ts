/**
 * Interop with the real Gemini CLI (npm @google/gemini-cli 0.61.0, no model key, no network): the
 * login we write in Gemini's format, in its default token file and in its encrypted file, makes
 * `gemini mcp list` connect to the fixture MCP server; an entry inside Gemini's 5-minute expiry
 * buffer is refreshed by Gemini itself and written back, still refresh-capable.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geminiUsability } from '../../../../native-host/clients/gemini-cli/gemini-entry';
import { discoverGeminiServers } from '../../../../native-host/clients/gemini-cli/gemini-settings';
import { GeminiStore } from '../../../../native-host/clients/gemini-cli/gemini-store';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../../../fixtures/mcp-server';
import { loginToFixture } from '../../../helpers/fixture-login';
import { assertGeminiInstalled, geminiEnv, geminiMcpList, setUpGemini } from '../../../helpers/gemini-cli';

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let dir: string;

beforeAll(async () => {
  assertGeminiInstalled();
  provider = await startGoogleLikeProvider({ registration: true });
  mcp = await startMcpServer({ issuer: provider.issuer });
  dir = await mkdtemp(join(tmpdir(), 'mlb-gemini-interop-'));
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// One `gemini mcp list` loads a 70 MB bundle: ~5 s here without the relaunch, 15 s and more on a busy machine.
const GEMINI_RUNS_MS = 100_000;

const tokenUrl = () => `${provider.issuer}/token`;

describe('Gemini CLI reads what we write (default token file)', () => {
  it('connects with our fresh login, and refreshes an expiring one by itself, writing it back', async () => {
    const home = join(dir, 'file-mode');
    const project = join(home, 'project');
    await setUpGemini(home, project, { mock: { httpUrl: mcp.url } });
    const env = geminiEnv(home);
    // A public client (dynamic registration): Gemini refreshes with the stored client id alone.
    const login = await loginToFixture(provider, mcp.url);
    const store = new GeminiStore({ env });
    const [server] = (await discoverGeminiServers({ env, projectDir: project })).servers;
    expect(server).toMatchObject({ name: 'mock', url: mcp.url });

    await store.write(server!, login, tokenUrl(), Date.now());
    const file = join(home, '.gemini', 'mcp-oauth-tokens.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const unauthorizedBefore = mcp.stats.unauthorized;
    const refreshesBefore = provider.stats.refreshRequests;
    expect(await geminiMcpList(env, project)).toMatch(/✓ mock: \S+ \(http\) - Connected/);
    expect(provider.stats.refreshRequests).toBe(refreshesBefore);
    expect(mcp.stats.unauthorized).toBe(unauthorizedBefore);

    // Two minutes left: inside Gemini's 5-minute buffer, so it refreshes before connecting.
    await store.write(server!, { ...login, expiresAt: Date.now() + 120_000 }, tokenUrl(), Date.now());
    expect(await geminiMcpList(env, project)).toMatch(/✓ mock: \S+ \(http\) - Connected/);
    expect(provider.stats.refreshRequests).toBe(refreshesBefore + 1);
    const after = await store.read('mock');
    expect(after?.credential.accessToken).not.toBe(login.accessToken);
    expect(after?.credential.refreshToken).toBe(login.refreshToken);
    expect(after?.credential.expiresAt).toBeGreaterThan(Date.now() + 10 * 60_000);
    expect(after?.credential.tokenUrl).toBe(tokenUrl());
    expect(geminiUsability(after!.credential, server!, Date.now())).toMatchObject({ loggedIn: true, refreshCapable: true });
    const onDisk = JSON.parse(await readFile(file, 'utf8'));
    expect(onDisk).toHaveLength(1);
  }, GEMINI_RUNS_MS * 2);

  it('is disconnected when the stored login is expired and cannot be refreshed (the check above can fail)', async () => {
    const home = join(dir, 'no-refresh');
    const project = join(home, 'project');
    await setUpGemini(home, project, { mock: { httpUrl: mcp.url } });
    const env = geminiEnv(home);
    const login = await loginToFixture(provider, mcp.url);
    const { refreshToken: _dropped, ...withoutRefresh } = login;
    await new GeminiStore({ env }).write({ name: 'mock', url: mcp.url }, { ...withoutRefresh, expiresAt: Date.now() - 60_000 }, tokenUrl(), Date.now());
    expect(await geminiMcpList(env, project)).toMatch(/✗ mock: \S+ \(http\) - Disconnected/);
  }, GEMINI_RUNS_MS);
});

describe('Gemini CLI reads what we write (its encrypted file)', () => {
  it('connects with our login stored in gemini-credentials.json', async () => {
    const home = join(dir, 'encrypted-mode');
    const project = join(home, 'project');
    await setUpGemini(home, project, { mock: { httpUrl: mcp.url } });
    const modeEnv = { GEMINI_FORCE_ENCRYPTED_FILE_STORAGE: 'true', GEMINI_FORCE_FILE_STORAGE: 'true' };
    const env = geminiEnv(home, modeEnv);
    const login = await loginToFixture(provider, mcp.url);
    const store = new GeminiStore({ env });
    expect(store.mode).toBe('encrypted-file');
    await store.write({ name: 'mock', url: mcp.url }, { ...login, expiresAt: Date.now() + 120_000 }, tokenUrl(), Date.now());
    const refreshesBefore = provider.stats.refreshRequests;
    expect(await geminiMcpList(env, project)).toMatch(/✓ mock: \S+ \(http\) - Connected/);
    expect(provider.stats.refreshRequests).toBe(refreshesBefore + 1);
    const after = await store.read('mock');
    expect(after?.credential.accessToken).not.toBe(login.accessToken);
    expect(after?.credential.refreshToken).toBe(login.refreshToken);
  }, GEMINI_RUNS_MS);
});

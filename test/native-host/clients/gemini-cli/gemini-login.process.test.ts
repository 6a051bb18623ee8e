/**
 * One login through mcp-login-bridge reaches Gemini CLI: the real CLI (`login <url> --no-browser`,
 * the callback pasted), the real keyring, the Google-like provider, then the real `gemini mcp list`.
 * With a provider that rotates refresh tokens, Gemini's own refresh is what `token` then starts
 * from, so nobody presents a spent refresh token. A broken Gemini token file stops the login before
 * the sign-in (the login's store preflight), is never rewritten, and `--client codex` still writes Codex.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../../../native-host/stores/bridge-store';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../../fixtures/mcp-server';
import { bridgeLogin as runBridgeLogin, bridgeToken as runBridgeToken } from '../../../helpers/bridge-cli';
import { run } from '../../../helpers/codex-cli';
import { assertGeminiInstalled, geminiEnv, geminiMcpList, setUpGemini } from '../../../helpers/gemini-cli';
import { assertHostBuilt, CLI_BIN } from '../../../helpers/native-client';

// Each `gemini mcp list` loads a 70 MB bundle: ~5 s here, 15 s and more on a busy machine.
const GEMINI_RUNS_MS = 100_000;

let keyring: KeyringHarness;
let dir: string;

beforeAll(async () => {
  assertHostBuilt();
  assertGeminiInstalled();
  keyring = await startKeyring();
  dir = await mkdtemp(join(tmpdir(), 'mlb-gemini-login-'));
});
afterAll(async () => {
  await keyring?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface World {
  provider: GoogleLikeProvider;
  mcp: McpServerFixture;
  home: string;
  project: string;
  /** The bridge CLI's environment: its keyring, config and runtime dir, and Gemini's home. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

async function world(name: string, options: { rotate?: boolean; accessTokenTtlSeconds?: number } = {}): Promise<World> {
  const provider = await startGoogleLikeProvider({ registration: true, rotateRefreshTokens: options.rotate ?? false, ...(options.accessTokenTtlSeconds ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds } : {}) });
  const mcp = await startMcpServer({ issuer: provider.issuer });
  const home = join(dir, name);
  const project = join(home, 'project');
  await setUpGemini(home, project, { mock: { httpUrl: mcp.url } });
  const config = join(home, 'bridge-config.json');
  // No configured client: dynamic registration gives a public client, which Gemini refreshes with the stored client id.
  await writeFile(config, JSON.stringify({ rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }] }));
  const env = {
    ...geminiEnv(home),
    ...keyring.env,
    MCP_LOGIN_BRIDGE_CONFIG: config,
    MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(home, 'runtime'),
    XDG_DATA_HOME: join(home, 'data'),
    CODEX_HOME: join(home, 'codex'),
    CLAUDE_CONFIG_DIR: join(home, 'claude'),
  };
  return { provider, mcp, home, project, env, close: async () => (await mcp.close(), await provider.close()) };
}

const bridgeLogin = (w: World, extra: string[] = []) => runBridgeLogin(w.env, w.project, w.mcp.url, extra);
const bridgeToken = (w: World) => runBridgeToken(w.env, w.project, w.mcp.url);

const tokenFile = (w: World) => join(w.home, '.gemini', 'mcp-oauth-tokens.json');
const geminiEntry = async (w: World) => (JSON.parse(await readFile(tokenFile(w), 'utf8')) as Array<{ serverName: string; token: { accessToken: string; refreshToken?: string; expiresAt?: number }; tokenUrl?: string }>).find((e) => e.serverName === 'mock')!;

/** Moves Gemini's copy to 2 minutes before expiry: inside its 5-minute buffer, so it refreshes first. */
async function expireGeminiCopy(w: World): Promise<void> {
  const doc = JSON.parse(await readFile(tokenFile(w), 'utf8')) as Array<{ serverName: string; token: { expiresAt?: number } }>;
  for (const e of doc) if (e.serverName === 'mock') e.token.expiresAt = Date.now() + 120_000;
  await writeFile(tokenFile(w), JSON.stringify(doc, null, 2), { mode: 0o600 });
}

describe('Gemini CLI after a login through mcp-login-bridge', () => {
  it('connects with the written login, refreshes it by itself once expired, and writes it back', async () => {
    const w = await world('plain');
    try {
      const { code, result, stderr } = await bridgeLogin(w);
      expect(code, stderr).toBe(0);
      expect(result.stored).toContainEqual({ target: 'gemini-cli', server: 'mock', location: tokenFile(w) });
      const written = await geminiEntry(w);
      expect(written.tokenUrl).toBe(`${w.provider.issuer}/token`);
      expect(written.token.refreshToken).toBeTruthy();

      const refreshes = w.provider.stats.refreshRequests;
      expect(await geminiMcpList(w.env, w.project)).toMatch(/✓ mock: \S+ \(http\) - Connected/);
      expect(w.provider.stats.refreshRequests, 'a fresh login needs no refresh').toBe(refreshes);

      await expireGeminiCopy(w);
      expect(await geminiMcpList(w.env, w.project)).toMatch(/✓ mock: \S+ \(http\) - Connected/);
      expect(w.provider.stats.refreshRequests, 'Gemini refreshed by itself').toBe(refreshes + 1);
      const refreshed = await geminiEntry(w);
      expect(refreshed.token.accessToken).not.toBe(written.token.accessToken);
      expect(refreshed.token.refreshToken).toBe(written.token.refreshToken);
      expect(refreshed.token.expiresAt).toBeGreaterThan(Date.now() + 10 * 60_000);

      const status = await run(process.execPath, [CLI_BIN, 'status', '--json'], w.env, 30_000, w.project);
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout).clients).toContainEqual(expect.objectContaining({ client: 'gemini-cli', server: 'mock', loggedIn: true, refreshCapable: true }));
    } finally {
      await w.close();
    }
  }, GEMINI_RUNS_MS * 2);

  it("with a rotating provider, `token` starts from Gemini's own refresh instead of presenting a spent refresh token", async () => {
    // Access tokens longer than Gemini's 5-minute buffer: below it, Gemini refreshes on every request.
    const w = await world('rotating', { rotate: true, accessTokenTtlSeconds: 600 });
    try {
      const { code, stderr } = await bridgeLogin(w);
      expect(code, stderr).toBe(0);
      const before = await geminiEntry(w);
      await expireGeminiCopy(w);
      expect(await geminiMcpList(w.env, w.project)).toMatch(/✓ mock: \S+ \(http\) - Connected/);
      const afterGemini = await geminiEntry(w);
      expect(afterGemini.token.refreshToken, 'Gemini refreshed and the provider rotated').not.toBe(before.token.refreshToken);

      // Our own entry still holds the refresh token Gemini just spent; make it due for a refresh.
      const restore = keyring.applyToProcess();
      try {
        const ours = (await new BridgeStore().read(w.mcp.url))!;
        expect(ours.refreshToken).toBe(before.token.refreshToken);
        await new BridgeStore().write({ ...ours, expiresAt: Date.now() - 1_000 });
      } finally {
        restore();
      }
      const refreshes = w.provider.stats.refreshRequests;
      const token = await bridgeToken(w);
      expect(token.stderr).not.toMatch(/warning/);
      // Gemini's copy is the newer one of the same login: its access token is used, nothing is refreshed.
      expect(token.refreshed).toBe(false);
      expect(token.accessToken).toBe(afterGemini.token.accessToken);
      expect(w.provider.stats.refreshRequests).toBe(refreshes);
      expect(w.provider.stats.refreshTokenReuses, 'no spent refresh token was presented').toBe(0);
      expect(w.provider.stats.grantsRevoked).toBe(0);

      const restoreAgain = keyring.applyToProcess();
      try {
        expect((await new BridgeStore().read(w.mcp.url))?.refreshToken, "ours now holds Gemini's live refresh token").toBe(afterGemini.token.refreshToken);
      } finally {
        restoreAgain();
      }
      expect(await geminiMcpList(w.env, w.project)).toMatch(/✓ mock: \S+ \(http\) - Connected/);
      expect(w.provider.stats.grantsRevoked).toBe(0);
    } finally {
      await w.close();
    }
  }, GEMINI_RUNS_MS * 2);

  it('stops at a broken Gemini token file before anything opens, leaves it as it was, and --client codex still writes Codex', async () => {
    const w = await world('broken');
    try {
      await mkdir(join(w.home, 'codex'), { recursive: true });
      await writeFile(join(w.home, 'codex', 'config.toml'), `mcp_oauth_credentials_store = "file"\n[mcp_servers.mock]\nurl = "${w.mcp.url}"\n`);
      const broken = '[{"serverName": "other", "token": {';
      await writeFile(tokenFile(w), broken, { mode: 0o600 });
      const authorizeRequests = w.provider.stats.authorizeRequests.length;

      // The login's preflight: a store the login would write and cannot stops it before the sign-in.
      const refused = await run(process.execPath, [CLI_BIN, 'login', w.mcp.url, '--no-browser', '--json'], w.env, 30_000, w.project);
      expect(refused.code).not.toBe(0);
      const error = JSON.parse(refused.stdout) as { ok: boolean; error: { message: string } };
      expect(error.ok).toBe(false);
      expect(error.error.message).toContain(tokenFile(w));
      expect(error.error.message).toContain('--client');
      expect(w.provider.stats.authorizeRequests.length, 'nothing was opened').toBe(authorizeRequests);

      // Leaving Gemini out, the other client gets its copy; Gemini's file is never rewritten.
      const { code, result, stderr } = await bridgeLogin(w, ['--client', 'codex']);
      expect(code, stderr).toBe(0);
      expect(result.stored).toContainEqual(expect.objectContaining({ target: 'codex', server: 'mock' }));
      expect(result.stored).not.toContainEqual(expect.objectContaining({ target: 'gemini-cli' }));
      expect(await readFile(tokenFile(w), 'utf8')).toBe(broken);
    } finally {
      await w.close();
    }
  }, GEMINI_RUNS_MS);
});

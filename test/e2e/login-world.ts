/**
 * Everything one real login needs, started together on this machine: a private Secret Service
 * keyring, the Google-like provider, the MCP server it protects, the host config, and Chromium
 * with the built extension and the host registered in its profile. The end-to-end tests and
 * `npm start` (the demo) both run on it, so the demo shows exactly what the tests check.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowserWithExtension, type BrowserHarness } from '../fixtures/browser-harness';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../fixtures/mcp-server';
import { startFixtureServersProcess, type FixtureServersOptions, type FixtureServersProcess } from '../fixtures/fixture-servers-process';
import { CLI_BIN, assertHostBuilt, runCli as runBuiltCli, type CliRun } from '../helpers/native-client';

/** What a world's provider and MCP server offer wherever they run. */
interface Servers<P extends { issuer: string; clientId: string; clientSecret: string }, M extends { url: string }> {
  provider: P;
  mcp: M;
  close(): Promise<void>;
}

interface WorldBase<P, M> {
  keyring: KeyringHarness;
  provider: P;
  mcp: M;
  browser: BrowserHarness;
  /** Environment under which the host (started by Chromium or by hand) sees the same keyring and config. */
  env: Record<string, string>;
  configPath: string;
  /** Where the browser's host announces its bridge (a folder of this world's own). */
  runtimeDir: string;
  /** Runs the CLI with the world's environment. */
  cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/** The provider and MCP server in this process: tests read their stats directly. */
export type LoginWorld = WorldBase<GoogleLikeProvider, McpServerFixture>;

/**
 * The provider and MCP server in a child process of their own (fixture-servers-process.ts), so
 * Playwright's work in this process cannot hold up their answers: what the benches time.
 */
export type SeparateServersLoginWorld = WorldBase<FixtureServersProcess['provider'], FixtureServersProcess['mcp']>;

export interface WorldOptions {
  /** Whether the host config tells the host the fixture provider behaves like Google. */
  googleRule: boolean;
  /** Called with a line for each step, for the demo's narration. */
  log?: (line: string) => void;
  /** The CLI that registers the host (default: this checkout's); a bench's earlier build gives its own. */
  cliBin?: string;
  /** The unpacked extension to load (default: this checkout's build). */
  extensionDir?: string;
  /** Another world's keyring, shared (one keyring harness per process); that world stops it. */
  keyring?: KeyringHarness;
}

export function startLoginWorld(options: WorldOptions): Promise<LoginWorld> {
  return startWorld(options, async () => {
    const provider = await startGoogleLikeProvider();
    try {
      const mcp = await startMcpServer({ issuer: provider.issuer });
      return { provider, mcp, close: () => mcp.close().catch(() => {}).then(() => provider.close()) };
    } catch (error) {
      await provider.close();
      throw error;
    }
  });
}

export function startLoginWorldWithServersProcess(options: WorldOptions & { servers?: FixtureServersOptions }): Promise<SeparateServersLoginWorld> {
  return startWorld(options, () => startFixtureServersProcess(options.servers));
}

async function startWorld<P extends { issuer: string; clientId: string; clientSecret: string }, M extends { url: string }>(
  options: WorldOptions,
  startServers: () => Promise<Servers<P, M>>,
): Promise<WorldBase<P, M>> {
  assertHostBuilt();
  const log = options.log ?? (() => {});
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    const keyring = options.keyring ?? (await startKeyring());
    if (!options.keyring) cleanups.push(() => keyring.stop());
    log('Secret Service keyring (gnome-keyring on a private D-Bus) is up');

    const servers = await startServers();
    cleanups.push(() => servers.close());
    const { provider, mcp } = servers;
    log(`Google-like identity provider at ${provider.issuer} (refresh tokens only with access_type=offline + consent)`);
    log(`MCP server at ${mcp.url} (401 + RFC 9728 metadata without a token)`);

    const dir = await mkdtemp(join(tmpdir(), 'mlb-world-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const configPath = join(dir, 'config.json');
    const config = {
      // Google has no dynamic registration; like a Google user, configure the desktop client.
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: options.googleRule
        ? [{ id: 'fixture-google', name: 'Fixture provider (Google-like)', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }]
        : [],
    };
    await writeFile(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    log(`host config ${configPath}: ${options.googleRule ? 'treats the provider like Google' : 'no provider rule'}`);

    const runtimeDir = join(dir, 'runtime');
    const env = { ...keyring.env, MCP_LOGIN_BRIDGE_CONFIG: configPath, MCP_LOGIN_BRIDGE_RUNTIME_DIR: runtimeDir };
    const cli = (args: string[]) => runCli(args, env, options.cliBin);

    const browser = await launchBrowserWithExtension({
      env,
      ...(options.extensionDir ? { extensionDir: options.extensionDir } : {}),
      prepareProfile: async (userDataDir) => {
        const installed = await cli(['install', '--browser', 'chromium', '--user-data-dir', userDataDir, '--json']);
        if (installed.code !== 0) throw new Error(`install failed: ${installed.stderr}${installed.stdout}`);
        log(`native host registered: ${JSON.parse(installed.stdout).manifestPath}`);
      },
    });
    cleanups.push(() => browser.close());
    log(`Chromium ${browser.context.browser()?.version() ?? ''} started with the extension ${browser.extensionId}`);

    return { keyring, provider, mcp, browser, env, configPath, runtimeDir, cli, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The built CLI with this process's environment plus `env` (the world's keyring and home). */
export function runCli(args: string[], env: Record<string, string>, cliBin = CLI_BIN): Promise<CliRun> {
  return runBuiltCli(args, { ...process.env, ...env }, cliBin);
}

/** Clicks Authorize in the popup for a server and waits for the popup to show the outcome. */
export async function authorizeInPopup(
  browser: BrowserHarness,
  serverUrl: string,
  timeoutMs = 30_000,
): Promise<{ popup: Page; state: string; text: string; elapsedMs: number }> {
  const popup = await browser.openPopup();
  await popup.locator('#server-url').fill(serverUrl);
  const started = performance.now();
  await popup.locator('#authorize').click();
  const result = popup.locator('#result');
  await result.locator('xpath=self::*[@data-state="success" or @data-state="warning" or @data-state="error"]').waitFor({ timeout: timeoutMs });
  return {
    popup,
    state: (await result.getAttribute('data-state')) ?? '',
    text: (await result.innerText()).trim(),
    elapsedMs: performance.now() - started,
  };
}

/**
 * A real MCP client, not only the SDK: Gemini CLI (the pinned @google/gemini-cli, which runs here
 * without a model key for `gemini mcp list`, which connects and pings each server) configured with a stdio server that runs
 * `mcp-login-bridge connect <url>`, reaches the fixture server behind the Google-like provider
 * with the bridge's stored login and reports it connected.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { loginToFixture } from '../../helpers/fixture-login';
import { CLI_BIN, assertHostBuilt } from '../../helpers/native-client';

const GEMINI = fileURLToPath(new URL('../../../node_modules/.bin/gemini', import.meta.url));

let keyring: KeyringHarness;
let restoreEnv: () => void;
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let project: string;

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer, sessions: true });
  await new BridgeStore().write(await loginToFixture(provider, mcp.url, { configuredClient: true }));
  project = await mkdtemp(join(tmpdir(), 'mlb-gemini-'));
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  if (project) await rm(project, { recursive: true, force: true });
  restoreEnv?.();
  await keyring?.stop();
});

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('gemini mcp list shows the connect server connected, and it reached the fixture with the stored login', async () => {
  // Gemini reads <home>/.gemini, its home being the keyring harness's HOME here (GEMINI_CLI_HOME,
  // which the test run points elsewhere, would move it); it disables MCP servers in folders it
  // does not trust, so the project folder is listed as trusted.
  const gemini = join(keyring.home, '.gemini');
  await mkdir(gemini, { recursive: true });
  await writeFile(join(gemini, 'settings.json'), JSON.stringify({ mcpServers: { fixture: { command: process.execPath, args: [CLI_BIN, 'connect', mcp.url, '--no-login'] } } }));
  await writeFile(join(gemini, 'trustedFolders.json'), JSON.stringify({ [project]: 'TRUST_FOLDER' }));
  const before = mcp.stats.tokensSeen.length;
  const r = await run(GEMINI, ['mcp', 'list'], { ...process.env, ...keyring.env, GEMINI_CLI_HOME: keyring.home }, project);
  expect(r.code, r.stderr).toBe(0);
  // Gemini prints the list on stderr (its console output), stdout stays empty.
  expect(r.stdout + r.stderr).toMatch(/✓ fixture: .*connect .*\(stdio\) - Connected/);
  const stored = (await new BridgeStore().read(mcp.url))!;
  expect(mcp.stats.tokensSeen.slice(before)).toContain(stored.accessToken);
  // What `gemini mcp list` does with a server: initialize, then ping; both went through connect.
  expect(mcp.stats.methods).toEqual(expect.arrayContaining(['initialize', 'ping']));
}, 120_000);

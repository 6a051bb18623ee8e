/**
 * Drives the real Gemini CLI (npm @google/gemini-cli 0.61.0, pinned in package.json) for interop
 * tests. `gemini mcp list` needs no model key: it connects to every configured server (a trusted
 * folder is required, else every server shows "Disabled"), which loads, refreshes and rewrites the
 * stored MCP login as a session would (`DynamicStoredOAuthProvider`).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './codex-cli';

export const GEMINI_BIN = join(process.cwd(), 'node_modules', '.bin', 'gemini');

export function assertGeminiInstalled(): void {
  if (!existsSync(GEMINI_BIN)) {
    throw new Error(`The Gemini CLI is not installed at ${GEMINI_BIN}: run npm ci (it is a devDependency, @google/gemini-cli).`);
  }
}

/**
 * A private Gemini: everything under `dir` (GEMINI_CLI_HOME moves ~/.gemini), no relaunch into a
 * second Node process (it only raises the heap limit), no telemetry.
 */
export function geminiEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, HOME: dir, GEMINI_CLI_HOME: dir, GEMINI_CLI_NO_RELAUNCH: 'true', GEMINI_TELEMETRY_ENABLED: 'false' };
  // Ours may be set in the test process; Gemini's store mode must come from `extra` only.
  for (const name of ['GEMINI_FORCE_ENCRYPTED_FILE_STORAGE', 'GEMINI_FORCE_FILE_STORAGE', 'GEMINI_API_KEY', 'SANDBOX']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

/** Writes Gemini's user settings and marks `projectDir` trusted (`trustedFolders.json`). */
export async function setUpGemini(dir: string, projectDir: string, mcpServers: Record<string, unknown>): Promise<void> {
  await mkdir(join(dir, '.gemini'), { recursive: true });
  await mkdir(projectDir, { recursive: true });
  await writeFile(join(dir, '.gemini', 'settings.json'), JSON.stringify({ mcpServers }, null, 2));
  await writeFile(join(dir, '.gemini', 'trustedFolders.json'), JSON.stringify({ [projectDir]: 'TRUST_FOLDER' }));
}

/** `gemini mcp list` run in `cwd`: one line per server, e.g. `✓ mock: http://…/mcp (http) - Connected`. */
export async function geminiMcpList(env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  const { code, stdout, stderr } = await run(GEMINI_BIN, ['mcp', 'list'], env, 90_000, cwd);
  if (code !== 0) throw new Error(`gemini mcp list failed (${code}): ${stderr.slice(-500)}`);
  return stdout + stderr;
}

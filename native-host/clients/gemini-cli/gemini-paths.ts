/**
 * Where Gemini CLI keeps things, as @google/gemini-cli 0.61.0 resolves them (read from its bundle,
 * `packages/core/dist/src/utils/paths.js` and `config/storage.js`):
 * - home: `$GEMINI_CLI_HOME` when set, else the OS home directory; its global dir is `<home>/.gemini`;
 * - user settings: `<home>/.gemini/settings.json`; project settings: `<cwd>/.gemini/settings.json`,
 *   not read when the project directory is the home directory itself;
 * - "global runtime dir": the global dir, except under `SANDBOX=sandbox-exec` (macOS seatbelt), where
 *   it is `<home>/.cache/.gemini`; MCP OAuth tokens live there in `mcp-oauth-tokens.json`, and the
 *   trusted folders list in `trustedFolders.json` (or `$GEMINI_CLI_TRUSTED_FOLDERS_PATH`);
 * - its encrypted file keychain (used instead of the OS keychain when that is unavailable) is always
 *   `<home>/.gemini/gemini-credentials.json`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = NodeJS.ProcessEnv;

/** The home Gemini uses; `GEMINI_CLI_HOME` moves everything, the OS home otherwise. */
export function geminiHome(env: Env = process.env): string {
  return env.GEMINI_CLI_HOME || env.HOME || env.USERPROFILE || homedir();
}

export function geminiGlobalDir(env: Env = process.env): string {
  return join(geminiHome(env), '.gemini');
}

/** Where its per-user state lives (tokens, trusted folders). */
export function geminiRuntimeDir(env: Env = process.env): string {
  if (env.SANDBOX === 'sandbox-exec') return join(geminiHome(env), '.cache', '.gemini');
  return geminiGlobalDir(env);
}

export function geminiUserSettingsPath(env: Env = process.env): string {
  return join(geminiGlobalDir(env), 'settings.json');
}

export function geminiProjectSettingsPath(projectDir: string): string {
  return join(projectDir, '.gemini', 'settings.json');
}

export function geminiTokenFilePath(env: Env = process.env): string {
  return join(geminiRuntimeDir(env), 'mcp-oauth-tokens.json');
}

export function geminiEncryptedFilePath(env: Env = process.env): string {
  return join(geminiGlobalDir(env), 'gemini-credentials.json');
}

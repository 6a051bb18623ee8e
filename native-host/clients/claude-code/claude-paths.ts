/**
 * Where Claude Code keeps things, as Claude Code 2.1.197 resolves them (read from its bundle):
 * - config dir: `$CLAUDE_CONFIG_DIR`, else `~/.claude` (NFC-normalized);
 * - secure-storage dir (credentials and their locks): `$CLAUDE_SECURESTORAGE_CONFIG_DIR` when set
 *   (empty means `~/.claude`), else the config dir;
 * - macOS Keychain: service `Claude Code-credentials`, with `-<first 8 hex of sha256(dir)>` appended
 *   when either variable points elsewhere; account `$USER` (else the login name), or
 *   `claude-code-user` when that has characters outside [A-Za-z0-9._-];
 * - user MCP config: `$CLAUDE_CONFIG_DIR/.claude.json` when the variable is set, else `~/.claude.json`.
 */
import { createHash } from 'node:crypto';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

type Env = NodeJS.ProcessEnv;

function home(env: Env): string {
  return env.HOME || env.USERPROFILE || homedir();
}

export function claudeConfigDir(env: Env = process.env): string {
  return (env.CLAUDE_CONFIG_DIR ?? join(home(env), '.claude')).normalize('NFC');
}

export function claudeSecureStorageDir(env: Env = process.env): string {
  const override = env.CLAUDE_SECURESTORAGE_CONFIG_DIR;
  if (override !== undefined) return (override || join(home(env), '.claude')).normalize('NFC');
  return claudeConfigDir(env);
}

export function claudeCredentialsPath(env: Env = process.env): string {
  return join(claudeSecureStorageDir(env), '.credentials.json');
}

export function claudeKeychainService(env: Env = process.env): string {
  const override = env.CLAUDE_SECURESTORAGE_CONFIG_DIR;
  const isDefault = override !== undefined ? !override : !env.CLAUDE_CONFIG_DIR;
  const suffix = isDefault ? '' : `-${createHash('sha256').update(claudeSecureStorageDir(env)).digest('hex').slice(0, 8)}`;
  return `Claude Code-credentials${suffix}`;
}

export function claudeKeychainAccount(env: Env = process.env): string {
  let user: string;
  try {
    user = env.USER || userInfo().username;
  } catch {
    return 'claude-code-user';
  }
  return /^[a-zA-Z0-9._-]+$/.test(user) ? user : 'claude-code-user';
}

export function claudeUserConfigPath(env: Env = process.env): string {
  return env.CLAUDE_CONFIG_DIR ? join(env.CLAUDE_CONFIG_DIR, '.claude.json') : join(home(env), '.claude.json');
}

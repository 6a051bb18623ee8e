/**
 * Where the host keeps its files, per platform. Secrets never go here (they live in the OS
 * keychain): only the browser launcher and lock files.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function dataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'mcp-login-bridge');
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'mcp-login-bridge');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'mcp-login-bridge');
}

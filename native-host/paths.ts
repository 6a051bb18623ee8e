/**
 * Where the host keeps its files, per platform. dataDir holds no secret (the browser launcher,
 * lock files); stateDir holds the bridge's credential files only where the keychain is not used.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function dataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'mcp-login-bridge');
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'mcp-login-bridge');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'mcp-login-bridge');
}

/**
 * Where the host keeps state that must survive a reboot but is not configuration: the bridge's
 * credential files when there is no keychain (or "store": "file"). Linux follows the XDG base
 * directories ($XDG_STATE_HOME, default ~/.local/state), as Codex keeps ~/.codex and gh
 * ~/.config/gh; elsewhere the same folder as dataDir.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === 'darwin' || platform === 'win32') return dataDir(env, platform);
  return join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'mcp-login-bridge');
}

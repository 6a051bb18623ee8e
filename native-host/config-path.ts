/**
 * The host config file's path, apart from config.ts so a command that needs one setting (token:
 * "store") does not load the whole config parser.
 *
 * Location: $MCP_LOGIN_BRIDGE_CONFIG, else
 *   Linux    $XDG_CONFIG_HOME/mcp-login-bridge/config.json (default ~/.config/…)
 *   macOS    ~/Library/Application Support/mcp-login-bridge/config.json
 *   Windows  %APPDATA%\mcp-login-bridge\config.json
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function configPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.MCP_LOGIN_BRIDGE_CONFIG) return env.MCP_LOGIN_BRIDGE_CONFIG;
  const home = env.HOME || env.USERPROFILE || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'mcp-login-bridge', 'config.json');
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'mcp-login-bridge', 'config.json');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'mcp-login-bridge', 'config.json');
}

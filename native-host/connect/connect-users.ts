/**
 * Which desktop clients already run `connect` for which server: their user-level MCP config files
 * (client-setup.ts names them) are read, never written, and an entry counts when it starts
 * mcp-login-bridge (the command, or node with our bundle) with `connect <url>` (or `proxy <url>`).
 * For `status`: a server whose login these clients depend on. Files that are missing or not JSON
 * are skipped: this is a hint, not a check.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ConnectUser {
  client: string;
  /** The entry's name in the client's config. */
  name: string;
  serverUrl: string;
  file: string;
}

interface Env {
  home?: string;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

/** The user-level config file of each client on this OS, and the key its servers live under. */
export function connectConfigFiles({ home = homedir(), platform = process.platform, env = process.env }: Env = {}): { client: string; file: string; key: 'mcpServers' | 'servers' }[] {
  const appData = env.APPDATA ?? join(home, 'AppData', 'Roaming');
  const config = platform === 'darwin' ? join(home, 'Library', 'Application Support') : platform === 'win32' ? appData : (env.XDG_CONFIG_HOME ?? join(home, '.config'));
  return [
    { client: 'Claude Desktop', file: join(config, 'Claude', 'claude_desktop_config.json'), key: 'mcpServers' },
    { client: 'Cursor', file: join(home, '.cursor', 'mcp.json'), key: 'mcpServers' },
    { client: 'VS Code', file: join(config, 'Code', 'User', 'mcp.json'), key: 'servers' },
    { client: 'Windsurf', file: join(home, '.codeium', 'windsurf', 'mcp_config.json'), key: 'mcpServers' },
  ];
}

const OURS = /(^|[\\/])mcp-login-bridge(\.mjs|\.cmd|\.exe)?$/;

/** The server URL an entry runs `connect` for, or undefined when it is not ours. */
export function connectTarget(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { command, args } = entry as { command?: unknown; args?: unknown };
  if (typeof command !== 'string' || !Array.isArray(args) || !args.every((a) => typeof a === 'string')) return undefined;
  const argv = [command, ...(args as string[])];
  const at = argv.findIndex((a, i) => (a === 'connect' || a === 'proxy') && i > 0 && OURS.test(argv[i - 1]!));
  // The server argument: the first URL after the command (options may come before it).
  return at === -1 ? undefined : argv.slice(at + 1).find((a) => /^https?:\/\//.test(a));
}

/** VS Code's mcp.json allows comments and trailing commas (JSONC). */
function parseJsonc(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const stripped = text.replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m, str: string | undefined) => str ?? '').replace(/,(\s*[}\]])/g, '$1');
    return JSON.parse(stripped);
  }
}

export async function findConnectUsers(options: Env = {}): Promise<ConnectUser[]> {
  const users: ConnectUser[] = [];
  for (const { client, file, key } of connectConfigFiles(options)) {
    let servers: unknown;
    try {
      servers = (parseJsonc(await readFile(file, 'utf8')) as Record<string, unknown>)?.[key];
    } catch {
      continue;
    }
    if (typeof servers !== 'object' || servers === null) continue;
    for (const [name, entry] of Object.entries(servers)) {
      const serverUrl = connectTarget(entry);
      if (serverUrl) users.push({ client, name, serverUrl, file });
    }
  }
  return users;
}

/**
 * The MCP clients that run mcp-remote, and where each keeps its server list. Each file is read on
 * its own: a missing file is no server, a malformed one is one problem naming the file (and the
 * field, never a value), and the other files still count. Nothing here ever writes these files.
 *
 * Paths and keys (INTEROP.md "mcp-remote"): Claude Desktop `claude_desktop_config.json`
 * (`mcpServers`; macOS and Windows from Anthropic's docs, Linux — where there is no official build —
 * the XDG folder community builds use, unverified); Cursor `~/.cursor/mcp.json` and a project's
 * `.cursor/mcp.json` (`mcpServers`); Windsurf `~/.codeium/windsurf/mcp_config.json` (`mcpServers`);
 * VS Code's user `mcp.json` and a workspace's `.vscode/mcp.json` (`servers`, JSON with comments).
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isObject, jsonType } from '../../stores/entry-fields';
import { stripJsonComments } from './jsonc';
import { readLaunch, type LaunchOptions, type McpRemoteLaunch } from './mcp-remote-launch';

export type McpRemoteApp = 'Claude Desktop' | 'Cursor' | 'Windsurf' | 'VS Code';

export interface McpRemoteConfigFile {
  app: McpRemoteApp;
  path: string;
  /** The object holding the servers. */
  key: 'mcpServers' | 'servers';
  /** VS Code's files allow comments and trailing commas. */
  jsonc?: boolean;
  /** "user" or "project" (for messages). */
  scope: 'user' | 'project';
}

export interface McpRemoteServer {
  /** The server's name in that client's config. */
  name: string;
  url: string;
  app: McpRemoteApp;
  /** File and scope, for messages. */
  source: string;
  launch: McpRemoteLaunch;
}

export interface UnsupportedMcpRemoteServer {
  name: string;
  url?: string;
  app: McpRemoteApp;
  source: string;
  reason: string;
}

export interface McpRemoteDiscovery {
  servers: McpRemoteServer[];
  /** mcp-remote entries we found but cannot write for, and why. */
  unsupported: UnsupportedMcpRemoteServer[];
  /** Files that could not be read; each names the file and field, never a value. */
  problems: string[];
}

export interface McpRemoteDiscoveryOptions extends LaunchOptions {
  /** Where a project's `.cursor/mcp.json` and `.vscode/mcp.json` are looked for; default: the current directory. */
  projectDir?: string;
}

/** Every config file that may start mcp-remote, for this OS. */
export function mcpRemoteConfigFiles(options: McpRemoteDiscoveryOptions = {}): McpRemoteConfigFile[] {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = (platform === 'win32' ? env.USERPROFILE : env.HOME) || homedir();
  const appData = env.APPDATA || join(home, 'AppData', 'Roaming');
  const xdgConfig = env.XDG_CONFIG_HOME || join(home, '.config');
  const appDir = (name: string) =>
    platform === 'darwin' ? join(home, 'Library', 'Application Support', name) : platform === 'win32' ? join(appData, name) : join(xdgConfig, name);
  const project = options.projectDir ?? process.cwd();
  return [
    { app: 'Claude Desktop', path: join(appDir('Claude'), 'claude_desktop_config.json'), key: 'mcpServers', scope: 'user' },
    { app: 'Cursor', path: join(home, '.cursor', 'mcp.json'), key: 'mcpServers', scope: 'user' },
    { app: 'Cursor', path: join(project, '.cursor', 'mcp.json'), key: 'mcpServers', scope: 'project' },
    { app: 'Windsurf', path: join(home, '.codeium', 'windsurf', 'mcp_config.json'), key: 'mcpServers', scope: 'user' },
    { app: 'VS Code', path: join(appDir('Code'), 'User', 'mcp.json'), key: 'servers', jsonc: true, scope: 'user' },
    { app: 'VS Code', path: join(project, '.vscode', 'mcp.json'), key: 'servers', jsonc: true, scope: 'project' },
  ];
}

function problem(file: McpRemoteConfigFile, what: string): string {
  return `${file.app} config ${file.path}: ${what}`;
}

/** VS Code fills these in before it starts the command; what they become is not in the file. */
const VSCODE_VARIABLE = /\$\{(input|env|workspace|userHome|config|command|pathSeparator)/;

async function readConfigFile(file: McpRemoteConfigFile, options: McpRemoteDiscoveryOptions, into: McpRemoteDiscovery): Promise<void> {
  let text: string;
  try {
    text = await readFile(file.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    into.problems.push(problem(file, `cannot be read (${code ?? 'error'})`));
    return;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(file.jsonc ? stripJsonComments(text) : text);
  } catch {
    into.problems.push(problem(file, 'not valid JSON; its servers were skipped (the file was not changed)'));
    return;
  }
  if (!isObject(doc)) {
    into.problems.push(problem(file, `must hold a JSON object, got ${jsonType(doc)}`));
    return;
  }
  const servers = doc[file.key];
  if (servers === undefined) return;
  if (!isObject(servers)) {
    into.problems.push(problem(file, `${file.key} must be an object, got ${jsonType(servers)}`));
    return;
  }
  const source = `${file.path} (${file.app}, ${file.scope})`;
  for (const [name, entry] of Object.entries(servers)) {
    if (!isObject(entry) || typeof entry.command !== 'string') continue; // URL servers and others: not mcp-remote
    const args = entry.args ?? [];
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
      into.problems.push(problem(file, `${file.key}.${name}.args must be an array of strings`));
      continue;
    }
    let env: Record<string, string> | undefined;
    if (entry.env !== undefined) {
      if (!isObject(entry.env) || !Object.values(entry.env).every((v) => typeof v === 'string')) {
        into.problems.push(problem(file, `${file.key}.${name}.env must be an object of strings`));
        continue;
      }
      env = entry.env as Record<string, string>;
    }
    const reading = await readLaunch({ command: entry.command, args: args as string[], ...(env ? { env } : {}) }, options);
    if (reading.kind === 'not-mcp-remote') continue;
    if (reading.kind === 'unsupported') {
      into.unsupported.push({ name, ...(reading.url ? { url: reading.url } : {}), app: file.app, source, reason: reading.reason });
      continue;
    }
    const { launch } = reading;
    if (file.jsonc && [JSON.stringify(launch.hashInputs), env?.MCP_REMOTE_CONFIG_DIR ?? ''].some((v) => VSCODE_VARIABLE.test(v))) {
      into.unsupported.push({ name, url: launch.url, app: file.app, source, reason: 'VS Code fills in its ${…} variables there, so the store name mcp-remote uses cannot be known' });
      continue;
    }
    into.servers.push({ name, url: launch.url, app: file.app, source, launch });
  }
}

/** Every mcp-remote server the clients on this machine have configured. */
export async function discoverMcpRemoteServers(options: McpRemoteDiscoveryOptions = {}): Promise<McpRemoteDiscovery> {
  const found: McpRemoteDiscovery = { servers: [], unsupported: [], problems: [] };
  const seen = new Set<string>();
  for (const file of mcpRemoteConfigFiles(options)) {
    // The project folder may be the home folder: one file, read once.
    if (seen.has(file.path)) continue;
    seen.add(file.path);
    await readConfigFile(file, options, found);
  }
  return found;
}

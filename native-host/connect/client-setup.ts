/**
 * The configuration entries that make a desktop client start `connect` as a stdio MCP server, in
 * each client's own format and file. GUI apps do not start from a shell (on macOS they do not
 * even see its PATH), so the entries name this `node` and this bundle by absolute path.
 */
export interface SetupClient {
  name: string;
  /** Where the file lives, per OS. */
  files: { os: string; path: string }[];
  entry(name: string, command: string, args: string[]): unknown;
}

const mcpServers = (name: string, command: string, args: string[]) => ({ mcpServers: { [name]: { command, args } } });

export const SETUP_CLIENTS: SetupClient[] = [
  {
    name: 'Claude Desktop',
    files: [
      { os: 'macOS', path: '~/Library/Application Support/Claude/claude_desktop_config.json' },
      { os: 'Windows', path: '%APPDATA%\\Claude\\claude_desktop_config.json' },
      { os: 'Linux', path: '~/.config/Claude/claude_desktop_config.json' },
    ],
    entry: mcpServers,
  },
  {
    name: 'Cursor',
    files: [
      { os: 'all', path: '~/.cursor/mcp.json (every project), or .cursor/mcp.json in a project' },
      { os: 'Windows', path: '%USERPROFILE%\\.cursor\\mcp.json' },
    ],
    entry: mcpServers,
  },
  {
    name: 'VS Code',
    files: [
      { os: 'all', path: '.vscode/mcp.json in a workspace, or the user mcp.json ("MCP: Open User Configuration")' },
      { os: 'macOS', path: '~/Library/Application Support/Code/User/mcp.json' },
      { os: 'Windows', path: '%APPDATA%\\Code\\User\\mcp.json' },
      { os: 'Linux', path: '~/.config/Code/User/mcp.json' },
    ],
    entry: (name, command, args) => ({ servers: { [name]: { type: 'stdio', command, args } } }),
  },
  {
    name: 'Windsurf',
    files: [
      { os: 'macOS/Linux', path: '~/.codeium/windsurf/mcp_config.json' },
      { os: 'Windows', path: '%USERPROFILE%\\.codeium\\windsurf\\mcp_config.json' },
    ],
    entry: mcpServers,
  },
];

/** A server name for the entry: the URL's host, made into a key every client accepts. */
export function serverNameFor(serverUrl: string): string {
  try {
    return new URL(serverUrl).hostname.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'mcp-server';
  } catch {
    return 'mcp-server';
  }
}

export function setupText(serverUrl: string, command: string, args: string[], name = serverNameFor(serverUrl)): string {
  return SETUP_CLIENTS.map((client) => {
    const files = client.files.map((f) => `    ${f.os === 'all' ? '' : `${f.os}: `}${f.path}`).join('\n');
    const json = JSON.stringify(client.entry(name, command, [...args, 'connect', serverUrl]), null, 2).replace(/^/gm, '    ');
    return `  ${client.name} (merge into the file's existing object):\n${files}\n${json}`;
  }).join('\n\n');
}

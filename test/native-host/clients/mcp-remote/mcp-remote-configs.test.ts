import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stripJsonComments } from '../../../../native-host/clients/mcp-remote/jsonc';
import { discoverMcpRemoteServers, mcpRemoteConfigFiles } from '../../../../native-host/clients/mcp-remote/mcp-remote-configs';

const URL_ = 'https://mcp.example.com/mcp';
let home: string;
let project: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mlb-mcp-remote-configs-'));
  project = join(home, 'project');
  await mkdir(project);
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

const remote = (url = URL_) => ({ command: 'npx', args: ['-y', 'mcp-remote', url] });
const options = () => ({ env: { HOME: home }, platform: 'linux' as const, projectDir: project });

describe('mcpRemoteConfigFiles', () => {
  it('names each client config per OS', () => {
    const linux = mcpRemoteConfigFiles({ env: { HOME: '/h' }, platform: 'linux', projectDir: '/p' }).map((f) => `${f.app}:${f.path}:${f.key}`);
    expect(linux).toEqual([
      'Claude Desktop:/h/.config/Claude/claude_desktop_config.json:mcpServers',
      'Cursor:/h/.cursor/mcp.json:mcpServers',
      'Cursor:/p/.cursor/mcp.json:mcpServers',
      'Windsurf:/h/.codeium/windsurf/mcp_config.json:mcpServers',
      'VS Code:/h/.config/Code/User/mcp.json:servers',
      'VS Code:/p/.vscode/mcp.json:servers',
    ]);
    const mac = mcpRemoteConfigFiles({ env: { HOME: '/h' }, platform: 'darwin', projectDir: '/p' }).map((f) => f.path);
    expect(mac).toContain('/h/Library/Application Support/Claude/claude_desktop_config.json');
    expect(mac).toContain('/h/Library/Application Support/Code/User/mcp.json');
    const win = mcpRemoteConfigFiles({ env: { USERPROFILE: 'C:\\Users\\u', APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, platform: 'win32', projectDir: 'C:\\p' }).map((f) => f.path);
    expect(win.some((p) => p.includes('Roaming') && p.endsWith('claude_desktop_config.json'))).toBe(true);
  });
});

describe('discoverMcpRemoteServers', () => {
  it('finds mcp-remote servers in every client config, and only those', async () => {
    await put(join(home, '.config', 'Claude', 'claude_desktop_config.json'), JSON.stringify({ mcpServers: { desk: remote(), fs: { command: 'npx', args: ['@modelcontextprotocol/server-filesystem'] } } }));
    await put(join(home, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { cur: remote(), direct: { url: URL_ } } }));
    await put(join(home, '.codeium', 'windsurf', 'mcp_config.json'), JSON.stringify({ mcpServers: { wind: remote() } }));
    await put(join(home, '.config', 'Code', 'User', 'mcp.json'), `{
      // VS Code allows comments
      "servers": { "code": { "type": "stdio", "command": "npx", "args": ["mcp-remote", "${URL_}"], }, },
    }`);
    await put(join(project, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { proj: remote() } }));
    const found = await discoverMcpRemoteServers(options());
    expect(found.problems).toEqual([]);
    expect(found.servers.map((s) => `${s.app}/${s.name}`).sort()).toEqual(['Claude Desktop/desk', 'Cursor/cur', 'Cursor/proj', 'VS Code/code', 'Windsurf/wind']);
    expect(new Set(found.servers.map((s) => s.launch.hash)).size).toBe(1);
  });

  it('reports a malformed file on its own, never rewrites it, and still reads the others', async () => {
    const broken = join(home, '.cursor', 'mcp.json');
    const text = '{ "mcpServers": { "cur": ';
    await put(broken, text);
    await put(join(home, '.codeium', 'windsurf', 'mcp_config.json'), JSON.stringify({ mcpServers: [] }));
    await put(join(home, '.config', 'Claude', 'claude_desktop_config.json'), JSON.stringify({ mcpServers: { desk: remote(), bad: { command: 'npx', args: 'mcp-remote' } } }));
    const found = await discoverMcpRemoteServers(options());
    expect(found.servers.map((s) => s.name)).toEqual(['desk']);
    expect(found.problems).toHaveLength(3);
    expect(found.problems.find((p) => p.includes(broken))).toMatch(/Cursor config .*not valid JSON/);
    expect(found.problems.find((p) => p.includes('windsurf'))).toMatch(/mcpServers must be an object, got array/);
    expect(found.problems.find((p) => p.includes('claude_desktop'))).toMatch(/mcpServers\.bad\.args must be an array of strings/);
    expect(await readFile(broken, 'utf8')).toBe(text);
  });

  it('lists mcp-remote entries it cannot write for, with the reason', async () => {
    await put(join(project, '.vscode', 'mcp.json'), JSON.stringify({ servers: { v: { command: 'npx', args: ['mcp-remote', URL_, '--header', 'Authorization: ${input:token}'] } } }));
    await put(join(home, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { old: { command: 'npx', args: ['mcp-remote@0.1.18', URL_] } } }));
    const found = await discoverMcpRemoteServers(options());
    expect(found.servers).toEqual([]);
    expect(found.unsupported.map((u) => [u.name, u.url])).toEqual([
      ['old', URL_],
      ['v', URL_],
    ]);
    expect(found.unsupported[1]!.reason).toMatch(/VS Code fills in/);
  });
});

describe('stripJsonComments', () => {
  it('drops comments and trailing commas, keeps strings', () => {
    const text = '{ "a": "// not a comment, /* nor this */", /* c */ "b": [1, 2,], // x\n }';
    expect(JSON.parse(stripJsonComments(text))).toEqual({ a: '// not a comment, /* nor this */', b: [1, 2] });
  });
  it('leaves other errors for JSON.parse', () => {
    expect(() => JSON.parse(stripJsonComments('{ "a": }'))).toThrow();
  });
});

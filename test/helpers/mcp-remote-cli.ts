/**
 * Drives the real mcp-remote (npm mcp-remote 0.15.1, pinned in package.json) for interop tests: a
 * private HOME whose Cursor config starts it, its store in the test's folder, and browser
 * stand-ins that record every call (the `open` package it bundles runs its own xdg-open, which
 * with no desktop session starts $BROWSER; its Linux fallbacks are stood in for on PATH too), so a
 * test can assert no browser was opened. It runs as a stdio MCP server under the SDK's client.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ConfiguredServer } from '../../native-host/clients/client-adapter';
import { mcpRemoteAdapter, type McpRemoteConfig } from '../../native-host/clients/mcp-remote/mcp-remote-adapter';
import type { McpRemoteLaunch } from '../../native-host/clients/mcp-remote/mcp-remote-launch';

export const MCP_REMOTE_BIN = join(process.cwd(), 'node_modules', '.bin', 'mcp-remote');

export function assertMcpRemoteInstalled(): void {
  if (!existsSync(MCP_REMOTE_BIN)) throw new Error(`mcp-remote is not installed at ${MCP_REMOTE_BIN}: run npm ci (it is a devDependency, pinned).`);
}

export interface World {
  home: string;
  configDir: string;
  browserLog: string;
  env: Record<string, string>;
}

/** A private HOME with Cursor's config naming `args`, and browser stand-ins that record their calls. */
export async function world(root: string, name: string, args: string[]): Promise<World> {
  const home = join(root, name);
  const bin = join(home, 'bin');
  await mkdir(join(home, '.cursor'), { recursive: true });
  await mkdir(bin, { recursive: true });
  const browserLog = join(home, 'browser-calls.log');
  const recorder = `#!/bin/sh\necho "$0 $*" >> '${browserLog}'\n`;
  for (const tool of ['browser', 'xdg-open', 'gio', 'x-www-browser', 'sensible-browser', 'www-browser']) {
    await writeFile(join(bin, tool), recorder);
    await chmod(join(bin, tool), 0o755);
  }
  await writeFile(join(home, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { mock: { command: 'npx', args: ['-y', 'mcp-remote@0.15.1', ...args] } } }));
  const configDir = join(home, 'mcp-auth');
  const env = {
    PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    MCP_REMOTE_CONFIG_DIR: configDir,
    BROWSER: join(bin, 'browser'),
  };
  return { home, configDir, browserLog, env };
}

export const adapterFor = (w: World) => mcpRemoteAdapter({ env: w.env, platform: 'linux', projectDir: join(w.home, 'no-project') });

/** The one server the world's Cursor config has, as the registered adapter finds it. */
export async function theServer(w: World): Promise<ConfiguredServer<McpRemoteConfig> & { launch: McpRemoteLaunch }> {
  const found = await adapterFor(w).discover();
  expect(found.problems).toEqual([]);
  expect(found.servers).toHaveLength(1);
  const server = found.servers[0] as ConfiguredServer<McpRemoteConfig>;
  if ('unsupported' in server.config) throw new Error(server.config.unsupported);
  return { ...server, launch: server.config.launch };
}

/** Starts the real mcp-remote with the configured arguments and lists the server's tools through it. */
export async function listToolsThroughMcpRemote(w: World, args: string[], timeoutMs = 40_000): Promise<{ tools: string[]; stderr: string }> {
  const transport = new StdioClientTransport({ command: MCP_REMOTE_BIN, args, env: w.env, cwd: w.home, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-20_000)));
  const client = new Client({ name: 'mcp-login-bridge-interop', version: '1.0.0' });
  try {
    await client.connect(transport, { timeout: timeoutMs });
    const listed = await client.listTools(undefined, { timeout: timeoutMs });
    return { tools: listed.tools.map((t) => t.name), stderr };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nmcp-remote stderr:\n${stderr.slice(-4000)}`);
  } finally {
    await client.close().catch(() => undefined);
  }
}

export async function browserCalls(w: World): Promise<string> {
  return (await readFile(w.browserLog, 'utf8').catch(() => '')).trim();
}


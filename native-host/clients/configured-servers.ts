/** Which local clients have which MCP servers configured, and which of them a login for a URL concerns. */
import type { ClientDiscovery, ClientName, ClientServer } from './client-server';
import { discoverClaudeServers, type ClaudeDiscoveryOptions } from './claude-code-config';
import { codexHome } from './codex-config';
import { discoverCodexServers } from './codex-servers';

export interface DiscoveryOptions extends ClaudeDiscoveryOptions {
  codexHome?: string;
  /** Only these clients (default: all). */
  clients?: readonly ClientName[];
}

export async function discoverClientServers(options: DiscoveryOptions = {}): Promise<ClientDiscovery> {
  const wanted = new Set(options.clients ?? ['codex', 'claude-code']);
  const parts = await Promise.all([
    wanted.has('codex') ? discoverCodexServers(options.codexHome ?? codexHome(options.env)) : { servers: [], problems: [] },
    wanted.has('claude-code') ? discoverClaudeServers(options) : { servers: [], problems: [] },
  ]);
  return { servers: parts.flatMap((p) => p.servers), problems: parts.flatMap((p) => p.problems) };
}

/** The client servers configured with exactly this URL (no normalization, as the clients do). */
export function serversForUrl(discovery: ClientDiscovery, url: string): ClientServer[] {
  return discovery.servers.filter((server) => server.url === url);
}

/** Which local clients have which MCP servers configured, and which of them a login for a URL concerns. */
import type { ClientAdapter, ClientDiscovery, ConfiguredServer } from './client-adapter';

/** A configured server with the adapter that handles it. */
export interface AdaptedServer {
  adapter: ClientAdapter;
  server: ConfiguredServer;
}

export interface AdaptedDiscovery {
  servers: AdaptedServer[];
  problems: ClientDiscovery['problems'];
}

/** Every adapter's servers, in the adapters' order; one client's unreadable config hides only its own servers. */
export async function discoverClientServers(adapters: readonly ClientAdapter[]): Promise<AdaptedDiscovery> {
  const parts = await Promise.all(adapters.map(async (adapter) => ({ adapter, discovery: await adapter.discover() })));
  return {
    servers: parts.flatMap(({ adapter, discovery }) => discovery.servers.map((server) => ({ adapter, server }))),
    problems: parts.flatMap(({ discovery }) => discovery.problems),
  };
}

/** The client servers configured with exactly this URL (no normalization, as the clients do). */
export function serversForUrl(discovery: AdaptedDiscovery, url: string): AdaptedServer[] {
  return discovery.servers.filter(({ server }) => server.url === url);
}

/**
 * One server per store entry: the same server in two scopes of one client (Claude Code's user and
 * local scope, as `claude mcp add` makes) is one entry under one lock, and taking that lock twice in
 * one process would wait for ourselves until the timeout.
 */
export function onePerEntry(servers: readonly AdaptedServer[]): AdaptedServer[] {
  const seen = new Set<string>();
  return servers.filter(({ server }) => {
    const key = `${server.client}:${server.entryKey}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

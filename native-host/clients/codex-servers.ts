/** Codex's configured URL servers, as client servers (`[mcp_servers.<name>]` in config.toml). */
import type { ClientServer } from './client-server';
import { codexHome, readCodexConfig } from './codex-config';

export async function discoverCodexServers(home = codexHome()): Promise<{ servers: ClientServer[]; problems: string[] }> {
  try {
    const config = await readCodexConfig(home);
    return {
      servers: config.servers.map((server) => ({ client: 'codex', name: server.name, url: server.url, source: config.path, config: server })),
      problems: [],
    };
  } catch (error) {
    return { servers: [], problems: [(error as Error).message] };
  }
}

/**
 * An MCP server as one local client has it configured. A login for a URL is written to every
 * client server with exactly that URL (clients do not normalize URLs: a trailing slash is another
 * server), under the name that client uses, so the store keys come out as the client computes them.
 */
import type { CodexServerConfig } from './codex-config';
import type { ClaudeServerConfig } from './claude-code-config';

// One list of names for the host and every message that names a client (shared/protocol.ts).
export type { ClientName } from '../../shared/protocol';

export type ClientServer =
  | { client: 'codex'; name: string; url: string; source: string; config: CodexServerConfig }
  | { client: 'claude-code'; name: string; url: string; source: string; config: ClaudeServerConfig };

export interface ClientDiscovery {
  servers: ClientServer[];
  /** Config files that could not be read; each names the file and field, never a value. */
  problems: string[];
}

/** What Claude Code's store needs to name a server's entry (its key covers the type and headers). */
export function claudeServerRef(server: Extract<ClientServer, { client: 'claude-code' }>) {
  return { name: server.name, url: server.url, ...(server.config.type !== undefined ? { type: server.config.type } : {}), ...(server.config.headers ? { headers: server.config.headers } : {}) };
}

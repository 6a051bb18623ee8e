/**
 * How warnings about the clients' copies name things: the client, its server name, and our own
 * error text (files and fields only), never a token. Small on purpose: `token` loads it eagerly.
 */
import { ProtocolError } from '../../shared/errors';
import type { ClientName } from '../../shared/protocol';

export function describeError(error: unknown): string {
  // Our errors name files and fields only; anything else is reduced to its class.
  return error instanceof ProtocolError ? error.message : ((error as Error)?.name ?? 'error');
}

export function clientLabel(server: { client: ClientName; name: string }): string {
  return `${server.client === 'codex' ? 'Codex' : 'Claude Code'} (server "${server.name}")`;
}

/**
 * How warnings about the clients' copies name things: the client, its server name, and our own
 * error text (files and fields only), never a token. Small on purpose: `token` loads it eagerly.
 */
import { ProtocolError } from '../../shared/errors';

export function describeError(error: unknown): string {
  // Our errors name files and fields only; anything else is reduced to its class.
  return error instanceof ProtocolError ? error.message : ((error as Error)?.name ?? 'error');
}

/** `Codex (server "gmail")`: a client's label (its adapter's) and the server's name there. */
export function clientLabel(label: string, serverName: string): string {
  return `${label} (server "${serverName}")`;
}

/**
 * The registered clients: one adapter per name in shared/protocol.ts CLIENT_NAMES (the Record
 * type makes a name without an adapter a type error). Login, logout, status, doctor and `token`'s
 * rotation sync loop over `clientAdapters()`; nothing outside a client's folder names a client.
 */
import { CLIENT_NAMES } from '../../shared/protocol';
import type { AdapterOptions, ClientAdapter, ClientName } from './client-adapter';
import { ClaudeCodeAdapter } from './claude-code/claude-code-adapter';
import { CodexAdapter } from './codex/codex-adapter';

type AdapterFactory = (options: AdapterOptions) => ClientAdapter;

// One line per client.
const FACTORIES: Record<ClientName, AdapterFactory> = {
  codex: (options) => new CodexAdapter(options),
  'claude-code': (options) => new ClaudeCodeAdapter(options),
};

/** The adapters, in CLIENT_NAMES order (messages and status list clients in that order); `only` narrows them. */
export function clientAdapters(options: AdapterOptions = {}, only?: readonly ClientName[]): ClientAdapter[] {
  return CLIENT_NAMES.filter((name) => !only || only.includes(name)).map((name) => FACTORIES[name](options));
}

/** Each client's label by name ("codex" → "Codex"), for messages about notices and targets. */
export function clientLabels(): Record<ClientName, string> {
  return Object.fromEntries(clientAdapters().map((a) => [a.id, a.label])) as Record<ClientName, string>;
}

/** One line per client, "  - Codex: <where it is configured>", for help texts. */
export function describeClients(): string {
  return clientAdapters().map((a) => `  - ${a.label}${a.configHint ? `: ${a.configHint}` : ''}`).join('\n');
}

export function isClientName(value: string): value is ClientName {
  return (CLIENT_NAMES as readonly string[]).includes(value);
}

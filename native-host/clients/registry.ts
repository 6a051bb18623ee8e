/**
 * The registered clients: one adapter per name in shared/protocol.ts CLIENT_NAMES (the Record
 * type makes a name without an adapter a type error). Login, logout, status, doctor and `token`'s
 * rotation sync loop over `clientAdapters()`; nothing outside a client's folder names a client.
 */
import { CLIENT_NAMES } from '../../shared/protocol';
import type { AdapterOptions, ClientAdapter, ClientName } from './client-adapter';

type AdapterFactory = (options: AdapterOptions) => ClientAdapter;

// One line per client; filled in as the adapters move into their folders.
const FACTORIES: Partial<Record<ClientName, AdapterFactory>> = {};

/** The adapters, in CLIENT_NAMES order (messages and status list clients in that order); `only` narrows them. */
export function clientAdapters(options: AdapterOptions = {}, only?: readonly ClientName[]): ClientAdapter[] {
  return CLIENT_NAMES.filter((name) => !only || only.includes(name)).flatMap((name) => {
    const factory = FACTORIES[name];
    return factory ? [factory(options)] : [];
  });
}

export function isClientName(value: string): value is ClientName {
  return (CLIENT_NAMES as readonly string[]).includes(value);
}

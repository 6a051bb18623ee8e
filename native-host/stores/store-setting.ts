/**
 * The host config's `"store"` setting: where the bridge keeps its own entry per server.
 *
 * - "keychain": the OS keychain only; without one a login fails before the browser opens.
 * - "file": a 0600 JSON file per server under the state directory (paths.ts stateDir), never the keychain.
 * - "auto" (the default): the keychain when it can be reached, else the file, with a warning on
 *   every write; `token` reads whichever holds the entry. What Codex's
 *   `mcp_oauth_credentials_store = "auto"` and gh do on machines without a desktop keychain.
 *
 * Kept apart from config.ts so `token` can read this one setting without loading the rest.
 */
import { readFileSync, statSync } from 'node:fs';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { configPath } from '../config-path';

export const STORE_MODES = ['keychain', 'file', 'auto'] as const;
export type StoreMode = (typeof STORE_MODES)[number];
export const DEFAULT_STORE_MODE: StoreMode = 'auto';

/** Validates the `store` field of a parsed config document (undefined: the default). */
export function parseStoreSetting(value: unknown, path: string): StoreMode {
  if (value === undefined) return DEFAULT_STORE_MODE;
  if (typeof value === 'string' && (STORE_MODES as readonly string[]).includes(value)) return value as StoreMode;
  throw new ProtocolError(ErrorCode.ConfigInvalid, `config file ${path}: "store" must be one of ${STORE_MODES.map((m) => `"${m}"`).join(', ')}`);
}

/**
 * The setting from the config file; a missing file is the default. Only this field is validated
 * (a bad rule elsewhere does not stop `token`), but a file that cannot be read as a JSON object
 * is an error: guessing where credentials go is worse than stopping.
 */
export async function readStoreSetting(path: string = configPath()): Promise<StoreMode> {
  let text: string;
  try {
    // Synchronous: `token` reads this small file on every call, and an asynchronous read would
    // start libuv's thread pool (~2 ms) for it (node:fs/promises would also load a dozen modules).
    // No file is the common case: asked first, as Node builds an error with a stack for a failed read.
    if (!statSync(path, { throwIfNoEntry: false })) return DEFAULT_STORE_MODE;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_STORE_MODE;
    throw new ProtocolError(ErrorCode.ConfigInvalid, `config file ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // V8's message quotes the text, which may hold a client secret: not passed on.
    throw new ProtocolError(ErrorCode.ConfigInvalid, `config file ${path}: is not valid JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ProtocolError(ErrorCode.ConfigInvalid, `config file ${path}: must be a JSON object`);
  }
  return parseStoreSetting((doc as Record<string, unknown>).store, path);
}

/**
 * The one place the host touches the OS keychain (@napi-rs/keyring): macOS Keychain, Windows
 * Credential Manager, or on Linux the Secret Service over D-Bus (gnome-keyring, KWallet, KeePassXC).
 *
 * Linux entries are pinned to the Secret Service. Unpinned, @napi-rs/keyring silently falls back
 * to the kernel keyring (keyutils) when there is no session bus or no Secret Service on it; no MCP
 * client reads that, and it is gone at reboot, so a login would "succeed" and then vanish. Pinned,
 * the constructor throws instead, and we turn that into KeychainUnavailable with what to do.
 *
 * Measured with @napi-rs/keyring 2.1.2 (linux x64), see bridge-store.process.test.ts:
 * - Entry objects keep their D-Bus connection: a new one costs ~10–60 ms, a get on a kept one
 *   ~1 ms. Hence the per-process cache below.
 * - Entries go through a vendored libdbus, which reads DBUS_SESSION_BUS_ADDRESS once per process
 *   (at the first Entry, even a failed one) and keeps it; findCredentials goes through zbus, which
 *   reads it on every call and, when unset, tries $XDG_RUNTIME_DIR/bus. A changed address
 *   therefore only takes effect in a new process.
 * - findCredentials always asks the Secret Service (never keyutils), but we still build a pinned
 *   Entry first so a missing Secret Service fails the same way for list as for get.
 */
import { statSync } from 'node:fs';
import { AsyncEntry, Entry, findCredentialsAsync, type EntryOptions } from '@napi-rs/keyring';
import { ErrorCode, ProtocolError } from '../../shared/errors';

const IS_LINUX = process.platform === 'linux';
const PINNED: EntryOptions | undefined = IS_LINUX ? { linux: { store: 'secret-service' } } : undefined;

/** Identifies one keychain item. `target` only matters where the platform uses it (Linux, Windows). */
export interface KeyringItemId {
  service: string;
  account: string;
  /**
   * Passed to `Entry.withTarget`. On Linux it becomes a `target` attribute, which is how Codex's
   * own items look (`target=default`); leave it out for our own items.
   */
  target?: string;
}

export interface KeyringCredential {
  account: string;
  secret: string;
}

/** What a keychain call was doing, for its error message (keyring-errors.ts). */
export type KeyringOperation = 'read' | 'write' | 'delete' | 'list';

/** Both classes have getPassword, setPassword and deleteCredential; AsyncEntry's return promises. */
type KeptEntry = AsyncEntry | Entry;

const entries = new Map<string, KeptEntry>();
/**
 * Whether items are reached through the synchronous Entry (see useSynchronousKeychain). AsyncEntry
 * runs each call on libuv's thread pool, whose start-up (~3 ms) a one-shot `token` would pay on
 * every call for one D-Bus round trip; a long-running host keeps AsyncEntry, so a slow keychain
 * never stalls its message loop.
 */
let synchronous = false;
/** The bus address libdbus saw at the first Entry of this process: the one it will keep using. */
let firstBusAddress: string | null | undefined;

function cacheKey(id: KeyringItemId): string {
  return JSON.stringify([id.target ?? null, id.service, id.account]);
}

/**
 * Windows Credential Manager holds at most CRED_MAX_CREDENTIAL_BLOB_SIZE = 2560 bytes per item, and
 * @napi-rs/keyring 2.x (keyring-core with windows-native-keyring-store) stores a password as UTF-16LE
 * so other Windows programs can read it: 1280 UTF-16 code units, which is a JavaScript string's
 * `length`. A longer password is refused before anything is written ("Attribute 'password encoded
 * as UTF-16' is longer than platform limit of 2560 chars"). Read from the crate sources, not
 * measured: there is no Windows here.
 */
export const WINDOWS_MAX_SECRET_LENGTH = 1280;

/**
 * The longest secret one keychain item takes on `platform`, in UTF-16 code units (string length),
 * or undefined where there is no limit a credential could reach (macOS Keychain, Secret Service).
 */
export function maxSecretLength(platform: NodeJS.Platform = process.platform): number | undefined {
  return platform === 'win32' ? WINDOWS_MAX_SECRET_LENGTH : undefined;
}

/** Where secrets go on this machine, for messages. */
export function describeKeychain(): string {
  if (process.platform === 'darwin') return 'the macOS Keychain';
  if (process.platform === 'win32') return 'the Windows Credential Manager';
  return 'the Secret Service (D-Bus)';
}

/**
 * From now on this process reaches the keychain through the synchronous Entry: for a one-shot
 * process (`token`) that has nothing else to do while the keychain answers. Entries kept so far
 * are forgotten, so every later call goes the same way and shares one connection per item.
 */
export function useSynchronousKeychain(): void {
  if (synchronous) return;
  synchronous = true;
  entries.clear();
}

/**
 * Forget every kept Entry. Needed after the session bus was replaced (tests that restart their
 * private keyring); the host itself never needs it, failing entries are dropped on their own.
 */
export function clearKeyringEntryCache(): void {
  entries.clear();
}

/**
 * The user's session bus when DBUS_SESSION_BUS_ADDRESS is not set: `$XDG_RUNTIME_DIR/bus`, else
 * `/run/user/<uid>/bus` (systemd's per-user bus). Token helpers need it: Codex runs
 * `http_headers_helper` with a minimal environment (HOME, PATH, SHELL, LANG, TERM and CA bundle
 * variables, measured with Codex 0.171.0), and libdbus, unlike zbus, never looks there itself.
 */
export function defaultSessionBusAddress(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.()): string | undefined {
  const candidates = [env.XDG_RUNTIME_DIR && `${env.XDG_RUNTIME_DIR}/bus`, uid !== undefined && `/run/user/${uid}/bus`];
  for (const path of candidates) {
    if (!path) continue;
    try {
      if (statSync(path).isSocket()) return `unix:path=${path}`;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** The kept Entry for an item, or a new one; throws the library's error as it is. */
function entryFor(id: KeyringItemId): KeptEntry {
  const key = cacheKey(id);
  const kept = entries.get(key);
  if (kept) return kept;
  if (IS_LINUX && firstBusAddress === undefined && process.env.DBUS_SESSION_BUS_ADDRESS === undefined) {
    const found = defaultSessionBusAddress();
    if (found) process.env.DBUS_SESSION_BUS_ADDRESS = found;
  }
  if (IS_LINUX && firstBusAddress === undefined) firstBusAddress = process.env.DBUS_SESSION_BUS_ADDRESS ?? null;
  const Class = synchronous ? Entry : AsyncEntry;
  const entry = id.target === undefined ? new Class(id.service, id.account, PINNED) : Class.withTarget(id.target, id.service, id.account, PINNED);
  entries.set(key, entry);
  return entry;
}

/**
 * The error a caller gets for a failed keychain call (keyring-errors.ts, loaded at the first
 * failure: its messages are most of this code, and a `token` whose keychain answers never needs
 * them). An Entry whose connection broke would fail forever: it is dropped, the next call builds
 * a fresh one.
 */
async function failure(error: unknown, operation: KeyringOperation, id: KeyringItemId): Promise<ProtocolError> {
  const mapped = (await import('./keyring-errors')).keyringError(error, operation, id);
  if (mapped.code === ErrorCode.KeychainUnavailable) entries.delete(cacheKey(id));
  return mapped;
}

async function run<T>(id: KeyringItemId, operation: KeyringOperation, call: (entry: KeptEntry) => T | Promise<T>): Promise<T> {
  try {
    return await call(entryFor(id));
  } catch (error) {
    throw await failure(error, operation, id);
  }
}

/** The stored secret, or undefined when there is no such item. */
export async function keyringGet(id: KeyringItemId): Promise<string | undefined> {
  return (await run(id, 'read', (entry) => entry.getPassword())) ?? undefined;
}

/** Creates or replaces the item. */
export async function keyringSet(id: KeyringItemId, secret: string): Promise<void> {
  await run(id, 'write', (entry) => entry.setPassword(secret));
}

/** Whether an item was there and is now removed. */
export async function keyringDelete(id: KeyringItemId): Promise<boolean> {
  return run(id, 'delete', (entry) => entry.deleteCredential());
}

/**
 * Every item of a service (matching `target` too, when given), in every collection; a locked
 * collection makes it fail (KeychainUnavailable) rather than return a partial list. Items other
 * programs wrote under the same service are included: callers validate.
 */
export async function keyringList(service: string, target?: string): Promise<KeyringCredential[]> {
  const probe: KeyringItemId = { service, account: '', target };
  try {
    // Fails loudly (no bus, no Secret Service) before findCredentials could look anywhere else.
    entryFor(probe);
    const found = await findCredentialsAsync(service, target ?? null);
    return found.map(({ account, password }) => ({ account, secret: password }));
  } catch (error) {
    throw await failure(error, 'list', probe);
  }
}

/** The bus address libdbus took at this process's first Entry (undefined before one), for messages. */
export function firstBusAddressSeen(): string | null | undefined {
  return firstBusAddress;
}

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

type Operation = 'read' | 'write' | 'delete' | 'list';

/** "…, so keychain item … could not be read": the sentence every keychain failure ends its cause with. */
const DONE: Record<Operation, string> = { read: 'read', write: 'written', delete: 'deleted', list: 'listed' };

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

function describeItem(id: KeyringItemId): string {
  // The empty account is keyringList's probe: the message is about the whole service.
  return id.account === ''
    ? `keychain service "${id.service}"`
    : `keychain item service "${id.service}" account "${id.account}"`;
}

function removalHint(id: KeyringItemId): string {
  if (process.platform === 'darwin') return 'with Keychain Access';
  if (process.platform === 'win32') return 'with Credential Manager';
  return `secret-tool clear service '${id.service}' username '${id.account}'`;
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

function entryFor(id: KeyringItemId, operation: Operation): KeptEntry {
  const key = cacheKey(id);
  const kept = entries.get(key);
  if (kept) return kept;
  if (IS_LINUX && firstBusAddress === undefined && process.env.DBUS_SESSION_BUS_ADDRESS === undefined) {
    const found = defaultSessionBusAddress();
    if (found) process.env.DBUS_SESSION_BUS_ADDRESS = found;
  }
  if (IS_LINUX && firstBusAddress === undefined) firstBusAddress = process.env.DBUS_SESSION_BUS_ADDRESS ?? null;
  let entry: KeptEntry;
  const Class = synchronous ? Entry : AsyncEntry;
  try {
    entry = id.target === undefined ? new Class(id.service, id.account, PINNED) : Class.withTarget(id.target, id.service, id.account, PINNED);
  } catch (error) {
    throw keyringError(error, operation, id);
  }
  entries.set(key, entry);
  return entry;
}

async function run<T>(id: KeyringItemId, operation: Operation, call: (entry: KeptEntry) => T | Promise<T>): Promise<T> {
  const entry = entryFor(id, operation);
  try {
    return await call(entry);
  } catch (error) {
    const mapped = keyringError(error, operation, id);
    // A kept Entry whose connection broke would fail forever; the next call builds a fresh one.
    if (mapped.code === ErrorCode.KeychainUnavailable) entries.delete(cacheKey(id));
    throw mapped;
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
  // Fails loudly (no bus, no Secret Service) before findCredentials could look anywhere else.
  entryFor(probe, 'list');
  try {
    const found = await findCredentialsAsync(service, target ?? null);
    return found.map(({ account, password }) => ({ account, secret: password }));
  } catch (error) {
    const mapped = keyringError(error, 'list', probe);
    if (mapped.code === ErrorCode.KeychainUnavailable) entries.delete(cacheKey(probe));
    throw mapped;
  }
}

function busAddressForMessage(): string {
  const now = process.env.DBUS_SESSION_BUS_ADDRESS;
  const shown = `DBUS_SESSION_BUS_ADDRESS=${now ?? '(unset)'}`;
  if (firstBusAddress !== undefined && (firstBusAddress ?? undefined) !== now) {
    return `${shown}; this process first used ${firstBusAddress ?? '(unset)'} and keeps it, so restart it`;
  }
  return shown;
}

/**
 * Turns an error of @napi-rs/keyring into one the user can act on. The library's own text (and the
 * error as `cause`) is kept only for D-Bus failures, whose messages name sockets and bus names,
 * never item contents; every other case gets our own sentence and no cause, so a secret can reach
 * neither a message nor a logged cause chain.
 */
export function keyringError(error: unknown, operation: Operation, id: KeyringItemId): ProtocolError {
  if (error instanceof ProtocolError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const where = describeItem(id);
  const unavailable = (message: string, keepCause = true) =>
    new ProtocolError(ErrorCode.KeychainUnavailable, message, keepCause ? { cause: error } : undefined);

  if (IS_LINUX) {
    const busDetail = /(?:DBus error|zbus error): (.*)$/s.exec(text)?.[1]?.trim();
    if (/autolaunch|DBUS_SESSION_BUS_ADDRESS/i.test(text) || (busDetail && !process.env.DBUS_SESSION_BUS_ADDRESS && /connect/i.test(text))) {
      return unavailable(
        `No D-Bus session bus (${busAddressForMessage()}), so ${describeKeychain()} cannot be reached to ${operation} ${where}: ` +
          'run inside a desktop session, or start a session bus (dbus-run-session) with gnome-keyring-daemon or another Secret Service in it, then retry.',
      );
    }
    if (/ServiceUnknown|not provided by any \.service files|org\.freedesktop\.secrets/i.test(text)) {
      return unavailable(
        `No Secret Service on the D-Bus session bus (${busAddressForMessage()}), so ${where} could not be ${DONE[operation]}: ` +
          'start gnome-keyring-daemon or another Secret Service, then retry.',
      );
    }
    if (/Failed to connect|No such file|Connection refused|Disconnected|NoServer|NoReply/i.test(text)) {
      return unavailable(
        `Cannot reach the D-Bus session bus (${busAddressForMessage()}: ${busDetail ?? text}), so ${where} could not be ${DONE[operation]}: ` +
          'start a session bus and a Secret Service (e.g. gnome-keyring-daemon), or point DBUS_SESSION_BUS_ADDRESS at the running one, then retry.',
      );
    }
    if (/IsLocked|locked|prompt was dismissed/i.test(text)) {
      return unavailable(
        `The Secret Service keyring is locked and could not be unlocked (no unlock prompt could be shown, or it was dismissed), so ${where} could not be ${DONE[operation]}: ` +
          'unlock the "login" keyring (log in to the desktop, Seahorse, or `gnome-keyring-daemon --unlock` with the password on stdin), then retry.',
      );
    }
    if (/no result found/i.test(text)) {
      return unavailable(
        `The Secret Service has no default collection to store in (no "login" keyring), so ${where} could not be ${DONE[operation]}: ` +
          'create or unlock a login keyring (Seahorse, or `gnome-keyring-daemon --unlock` with a password on stdin), then retry.',
      );
    }
    if (busDetail) {
      return unavailable(
        `The Secret Service failed to ${operation} ${where} (${busDetail}): check that gnome-keyring-daemon or another Secret Service is running and unlocked, then retry.`,
      );
    }
  }
  if (/matched by \d+ credentials|ambiguous/i.test(text)) {
    return new ProtocolError(
      ErrorCode.StoreFailed,
      `More than one item in ${describeKeychain()} matches ${where}, so it cannot tell which to ${operation}: ` +
        `remove them (${removalHint(id)}), then retry.`,
    );
  }
  if (/UTF-8/i.test(text)) {
    return new ProtocolError(
      ErrorCode.StoreFailed,
      `The secret of ${where} is not text (not UTF-8), so it was not written by mcp-login-bridge: remove it (${removalHint(id)}), then retry.`,
    );
  }
  if (/longer than/i.test(text)) {
    return new ProtocolError(
      ErrorCode.StoreFailed,
      `${describeKeychain()} refused ${where}: a name or the secret is longer than the platform allows.`,
    );
  }
  if (/access|denied|not allowed|user interaction/i.test(text)) {
    return unavailable(
      `${describeKeychain()} refused access to ${where} during ${operation}: allow mcp-login-bridge (Node) to use the keychain, or unlock it, then retry.`,
      false,
    );
  }
  return new ProtocolError(
    ErrorCode.StoreFailed,
    `${describeKeychain()} failed to ${operation} ${where}. Retry; if it keeps failing, check the keychain with its own tools.`,
  );
}

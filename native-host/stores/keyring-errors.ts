/**
 * What a failed keychain call tells the user: @napi-rs/keyring's errors turned into ones they can
 * act on (start a bus, unlock the keyring, remove a duplicate item). keyring-entry.ts loads this
 * at the first failure.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { describeKeychain, firstBusAddressSeen, type KeyringItemId, type KeyringOperation } from './keyring-entry';

const IS_LINUX = process.platform === 'linux';

/** "…, so keychain item … could not be read": the sentence every keychain failure ends its cause with. */
const DONE: Record<KeyringOperation, string> = { read: 'read', write: 'written', delete: 'deleted', list: 'listed' };

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

function busAddressForMessage(): string {
  const firstBusAddress = firstBusAddressSeen();
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
export function keyringError(error: unknown, operation: KeyringOperation, id: KeyringItemId): ProtocolError {
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

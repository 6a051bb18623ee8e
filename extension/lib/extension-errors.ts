/**
 * Errors the extension shows the user. Two kinds: the host's numbered protocol errors (passed on
 * as the host worded them) and the extension's own, named by what went wrong on this side
 * (the host is missing, it did not answer, it answered nonsense, ...). Neither ever carries a
 * secret: host messages are secret-free by protocol, and ours are built from fixed texts.
 */
import { NATIVE_HOST_NAME } from '../../shared/constants';

export type ExtensionErrorName =
  | 'HostNotInstalled'
  | 'HostForbidden'
  | 'HostExited'
  | 'HostDisconnected'
  | 'HostTimeout'
  | 'InvalidHostResponse'
  | 'ProtocolMismatch'
  | 'InvalidServerUrl'
  | 'InvalidCallback'
  | 'UnknownCallbackState'
  | 'FlowExpired'
  | 'FlowCancelled'
  | 'FlowInterrupted'
  | 'CaptureFailed'
  | 'TabFailed'
  | 'Internal';

export class ExtensionError extends Error {
  readonly errorName: ExtensionErrorName;
  constructor(name: ExtensionErrorName, message: string) {
    super(message);
    this.name = 'ExtensionError';
    this.errorName = name;
  }
}

/** A `{ ok: false }` response from the native host. */
export class HostError extends Error {
  readonly code: number;
  readonly errorName: string;
  constructor(code: number, name: string, message: string) {
    super(message);
    this.name = 'HostError';
    this.code = code;
    this.errorName = name;
  }
}

/** What the popup and callback page render for an error. Plain data: it goes through storage. */
export interface DisplayError {
  source: 'host' | 'extension';
  /** The host's protocol error number; null for the extension's own errors. */
  code: number | null;
  name: string;
  message: string;
}

export function toDisplayError(err: unknown): DisplayError {
  if (err instanceof HostError) return { source: 'host', code: err.code, name: err.errorName, message: err.message };
  if (err instanceof ExtensionError) return { source: 'extension', code: null, name: err.errorName, message: err.message };
  // A bug of ours or a browser API failure. Browser messages name APIs, never our data.
  const detail = err instanceof Error ? err.message : String(err);
  return {
    source: 'extension',
    code: null,
    name: 'Internal',
    message: `Unexpected error in the extension: ${detail.slice(0, 300)}. Reload the extension and try again.`,
  };
}

/**
 * The details line under an error ("Error code: UnknownState (300)"): for a bug report or a search,
 * never the headline. The headline is the message, which says what happened and what to do.
 */
export function describeErrorCode(error: DisplayError): string {
  return error.source === 'host' ? `Error code: ${error.name} (${error.code})` : `Error code: ${error.name}`;
}

/** A message as a sentence: a capital first letter and a full stop (host messages start lowercase, as CLI errors do). */
export function asSentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  // A message that starts with a URL or a quoted name keeps its spelling.
  const first = /^[a-z]/.test(trimmed) && !/^[a-z][a-z0-9+.-]*:\/\//.test(trimmed) ? trimmed[0]!.toUpperCase() + trimmed.slice(1) : trimmed;
  return /[.!?…)]$/.test(first) ? first : `${first}.`;
}

/**
 * Turns the reason a native port closed into an error that says what to do. The reasons are
 * Chromium's `runtime.lastError` texts and Firefox's `port.error` texts, matched loosely because
 * their wording drifts between versions.
 */
export function explainDisconnect(reason: string | undefined, extensionId: string): ExtensionError {
  const r = reason ?? '';
  if (/not found|no such native application/i.test(r)) {
    return new ExtensionError(
      'HostNotInstalled',
      `The native host "${NATIVE_HOST_NAME}" is not installed for this browser. ` +
        'Run `npx mcp-login-bridge install --browser <name>` (chrome, chromium, edge, brave, vivaldi or firefox) in a terminal, then try again.',
    );
  }
  if (/forbidden|not allowed/i.test(r)) {
    return new ExtensionError(
      'HostForbidden',
      `The native host "${NATIVE_HOST_NAME}" is installed but does not allow this extension (id ${extensionId}). ` +
        'Run `npx mcp-login-bridge install --browser <name>` again so its manifest names this extension, then try again.',
    );
  }
  if (/exited/i.test(r)) {
    return new ExtensionError(
      'HostExited',
      `The native host "${NATIVE_HOST_NAME}" exited (${r}). Run \`mcp-login-bridge doctor\` in a terminal to see why.`,
    );
  }
  return new ExtensionError(
    'HostDisconnected',
    `The native host "${NATIVE_HOST_NAME}" closed the connection${r ? ` (${r})` : ''}. ` +
      'Try again; if it keeps happening, run `mcp-login-bridge doctor` in a terminal.',
  );
}

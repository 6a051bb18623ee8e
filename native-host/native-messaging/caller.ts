/**
 * Who started the host. Chrome-family browsers pass the caller's origin
 * (`chrome-extension://<id>/`) as the first argument (plus `--parent-window=<n>` on Windows);
 * Firefox passes the manifest path and the add-on id. Anything else is a command line.
 */
import { DEV_EXTENSION_ID, FIREFOX_ADDON_ID } from '../../shared/constants';
import { ErrorCode, ProtocolError } from '../../shared/errors';

export type Caller = { browser: 'chrome'; extensionId: string } | { browser: 'firefox'; extensionId: string };

export function detectCaller(args: readonly string[]): Caller | undefined {
  const first = args[0];
  if (!first) return undefined;
  const chrome = /^chrome-extension:\/\/([a-p]{32})\/?$/.exec(first);
  if (chrome) return { browser: 'chrome', extensionId: chrome[1]! };
  // Firefox: <path to the host manifest>.json <add-on id>
  if (first.endsWith('.json') && args.length >= 2 && /^[^\s]{1,200}$/.test(args[1]!) && !args[1]!.startsWith('-')) {
    return { browser: 'firefox', extensionId: args[1]! };
  }
  return undefined;
}

export const BUILTIN_ALLOWED_IDS: readonly string[] = [DEV_EXTENSION_ID, FIREFOX_ADDON_ID];

/** The browser enforces allowed_origins too; this is the second lock on the same door. */
export function assertCallerAllowed(caller: Caller, extraAllowed: readonly string[]): void {
  if (!BUILTIN_ALLOWED_IDS.includes(caller.extensionId) && !extraAllowed.includes(caller.extensionId)) {
    throw new ProtocolError(
      ErrorCode.CallerNotAllowed,
      `extension ${caller.extensionId} is not allowed to use this host; add it to "allowedExtensionIds" in the host config`,
    );
  }
}

/**
 * Whether the extension may act at a provider rule's origin, asked for when the user adds a rule
 * on the options page. A DNR rule applies only where the extension has host access, so a rule for
 * an origin it cannot have would be saved and reported saved, yet never apply (a loopback host
 * other than the manifest's 127.0.0.1 and localhost, such as [::1] or 127.0.0.2, is one).
 */
import { errorText } from '../../../shared/errors';
import { hostPermissionFor } from '../auto-capture/rewrite-rules';

/** The part of `browser.permissions` used. */
export interface PermissionsLike {
  contains(permissions: { origins: string[] }): Promise<boolean>;
  request(permissions: { origins: string[] }): Promise<boolean>;
}

export type OriginAccess =
  | { kind: 'granted' }
  /** The user said no to the browser's prompt. */
  | { kind: 'denied' }
  /** The browser would not even ask: the origin is outside what the manifest lets it request. */
  | { kind: 'unavailable'; reason: string };

/**
 * Call it synchronously from the click's handler, before that handler awaits anything:
 * `permissions.request` must be called while the browser still counts the click as the user's
 * (Firefox refuses it after the handler's first await). So it cannot wait for `contains`' answer
 * before asking; both start at once. An origin already held needs no prompt, and the browser shows
 * none then; `contains` is what says so even when the request itself fails (a click that was not
 * the user's). Otherwise the request's answer decides, and one the browser refuses to make at all
 * (an origin the manifest does not cover) counts as unavailable, never as granted.
 */
export function ensureOriginAccess(permissions: PermissionsLike, ruleOrigin: string): Promise<OriginAccess> {
  const wanted = { origins: [hostPermissionFor(ruleOrigin)] };
  let held: Promise<boolean>;
  let asked: Promise<OriginAccess>;
  try {
    held = permissions.contains(wanted).catch(() => false);
  } catch {
    held = Promise.resolve(false);
  }
  try {
    asked = permissions.request(wanted).then(
      (granted): OriginAccess => (granted ? { kind: 'granted' } : { kind: 'denied' }),
      (error: unknown): OriginAccess => ({ kind: 'unavailable', reason: errorText(error) }),
    );
  } catch (error) {
    // A synchronous throw (a pattern the API rejects outright) is the same answer as a rejection.
    asked = Promise.resolve({ kind: 'unavailable', reason: errorText(error) });
  }
  return held.then((already) => (already ? { kind: 'granted' } : asked));
}

/**
 * The layout of a secret too long for one keychain item (Windows Credential Manager: 1280 UTF-16
 * units, see keyring-entry.ts): the text is cut into parts, each stored as its own item, and the
 * item under the real account holds a small header instead:
 *
 *   `{"version":2,"layout":"split","set":"a","parts":3,"sha256":"<hex of the whole text>"}`
 *
 * Parts live under `<account>#part-<set>-<i>` (i = 1..parts). Two sets, `a` and `b`, alternate:
 * a rewrite fills the set the header does not point at and only then replaces the header, so an
 * interrupted write leaves the previous login readable. The hash binds the parts to the header: a
 * torn or mixed set reads as damaged, never as another credential.
 *
 * `version` 2 is chosen so that a host predating this layout reports the header as "written by a
 * newer version" instead of misreading it. Pure functions only; I/O is in split-keychain.ts.
 */
import { createHash } from 'node:crypto';

export const SPLIT_HEADER_VERSION = 2;
/** Bounds what a header may ask a reader to fetch: 64 parts of 1280 units is ~80 KB of JSON. */
export const MAX_PARTS = 64;

export type PartSet = 'a' | 'b';

export interface SplitHeader {
  set: PartSet;
  parts: number;
  sha256: string;
}

/** Problems with a split entry. The message names what is wrong, never any content. */
export class SplitSecretError extends Error {}

const PART_SUFFIX = /#part-[ab]-[1-9][0-9]*$/;

/** The account of part `index` (1-based). */
export function partAccount(account: string, set: PartSet, index: number): string {
  return `${account}#part-${set}-${index}`;
}

/** Whether an account names a part rather than a server (listings skip these). */
export function isPartAccount(account: string): boolean {
  return PART_SUFFIX.test(account);
}

export function otherSet(set: PartSet): PartSet {
  return set === 'a' ? 'b' : 'a';
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Cuts `text` into pieces of at most `maxLength` UTF-16 units, never between the two halves of a
 * surrogate pair: the native binding converts strings to UTF-8, which would turn a lone half into
 * U+FFFD and the rejoined text would no longer match its hash.
 */
export function splitText(text: string, maxLength: number): string[] {
  if (!Number.isSafeInteger(maxLength) || maxLength < 2) throw new RangeError('maxLength must be an integer of at least 2');
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + maxLength, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

/** The header item's secret for `text` stored as `parts` parts in `set`. */
export function serializeHeader(text: string, set: PartSet, parts: number): string {
  return JSON.stringify({ version: SPLIT_HEADER_VERSION, layout: 'split', set, parts, sha256: sha256(text) });
}

/**
 * The header in `secret`, or undefined when `secret` is not one (an ordinary entry, or anything
 * else: the caller's own parser reports those as before).
 *
 * @throws SplitSecretError when it claims to be a header (version 2, layout "split") but a field is wrong.
 */
export function parseHeader(secret: string): SplitHeader | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const o = parsed as Record<string, unknown>;
  if (o.version !== SPLIT_HEADER_VERSION || o.layout !== 'split') return undefined;
  if (o.set !== 'a' && o.set !== 'b') throw new SplitSecretError('its header is malformed ("set" must be "a" or "b")');
  if (typeof o.parts !== 'number' || !Number.isSafeInteger(o.parts) || o.parts < 1 || o.parts > MAX_PARTS) {
    throw new SplitSecretError(`its header is malformed ("parts" must be an integer from 1 to ${MAX_PARTS})`);
  }
  if (typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)) {
    throw new SplitSecretError('its header is malformed ("sha256" must be 64 lowercase hex digits)');
  }
  return { set: o.set, parts: o.parts, sha256: o.sha256 };
}

/**
 * Rejoins the parts a header points at and checks them against its hash.
 *
 * @param parts the secrets of parts 1..header.parts in order; undefined where an item is missing.
 * @throws SplitSecretError for a missing part or a hash mismatch (an interrupted or mixed write).
 */
export function joinParts(header: SplitHeader, parts: ReadonlyArray<string | undefined>): string {
  const missing = parts.findIndex((p) => p === undefined);
  if (missing >= 0 || parts.length !== header.parts) {
    const index = missing >= 0 ? missing + 1 : parts.length + 1;
    throw new SplitSecretError(`it is split over ${header.parts} keychain items and part ${index} is missing`);
  }
  const text = parts.join('');
  if (sha256(text) !== header.sha256) {
    throw new SplitSecretError(
      `its ${header.parts} parts do not match their header (a write was interrupted, or two writes were mixed)`,
    );
  }
  return text;
}

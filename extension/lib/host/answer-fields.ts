/**
 * The readers every parser of a host answer shares: a wrong-shaped field fails as an invalid answer
 * that names it (the shared field readers, shared/field-reader.ts), host-sent texts are bounded, and
 * the lists of stored targets and client notices several answers carry are read one way.
 */
import { FieldReader, isObject } from '../../../shared/field-reader';
import type { ClientNotice, StoredTarget, Warning } from '../../../shared/protocol';
import { ExtensionError } from '../extension-errors';

/** Host-sent texts are shown to the user; keep them to a sane size. */
export const MAX_TEXT = 2000;

export function invalid(message: string): never {
  throw new ExtensionError(
    'InvalidHostResponse',
    `The native host sent an invalid answer: ${message}. Update the host and the extension to the same release.`,
  );
}

/** The shared field readers (shared/field-reader.ts), failing as an invalid answer. */
function read(obj: Record<string, unknown>): FieldReader {
  return new FieldReader(obj, invalid);
}

export function str(obj: Record<string, unknown>, field: string, max = MAX_TEXT): string {
  return read(obj).string(field, { max });
}

export function num(obj: Record<string, unknown>, field: string): number {
  return read(obj).number(field);
}

export function bool(obj: Record<string, unknown>, field: string): boolean {
  return read(obj).boolean(field);
}

/** An optional text: absent (or null) is fine, anything present must be a non-empty string. */
export function optionalStr(obj: Record<string, unknown>, field: string, max = MAX_TEXT): string | undefined {
  return read(obj).optionalString(field, { max });
}

export function parseUrl(value: string, field: string): URL {
  try {
    return new URL(value);
  } catch {
    invalid(`"${field}" is not an absolute URL`);
  }
}

/** A client's name or a notice's kind: shown and compared, so one short lower-case word. */
export function word(obj: Record<string, unknown>, field: string): string {
  const value = str(obj, field, 64);
  if (!/^[a-z][a-z0-9-]*$/.test(value)) invalid(`"${field}" must be a lower-case name`);
  return value;
}

export function parseWarning(value: unknown): Warning | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) invalid('"warning" must be an object');
  return { code: num(value, 'code'), name: str(value, 'name', 100), message: str(value, 'message') };
}

export function parseStored(value: unknown, field = 'stored'): StoredTarget[] {
  if (!Array.isArray(value)) invalid(`"${field}" must be an array`);
  return value.map((s) => {
    if (!isObject(s)) invalid(`every "${field}" entry must be an object`);
    const server = optionalStr(s, 'server', 500);
    // A target this extension does not know yet (a host with more clients) is shown as given.
    return { target: word(s, 'target') as StoredTarget['target'], location: str(s, 'location', 500), ...(server ? { server } : {}) };
  });
}

/** More notices than clients times servers: a longer list is a broken host. */
const MAX_NOTICES = 100;

/**
 * The host's notices about the clients. Display only: a `kind` or `target` this extension does not
 * know (a newer host) is kept as given; nothing here decides on the message text.
 */
export function parseNotices(value: unknown, field: string): ClientNotice[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) invalid(`"${field}" must be an array`);
  if (value.length > MAX_NOTICES) invalid(`"${field}" has more than ${MAX_NOTICES} entries`);
  return value.map((n) => {
    if (!isObject(n)) invalid(`every "${field}" entry must be an object`);
    const server = optionalStr(n, 'server', 500);
    return {
      target: word(n, 'target') as ClientNotice['target'],
      kind: word(n, 'kind') as ClientNotice['kind'],
      ...(server ? { server } : {}),
      // Codex's advice carries the config lines to add, so it gets more room than a headline.
      message: str(n, 'message', 2 * MAX_TEXT),
    };
  });
}

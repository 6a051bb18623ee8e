/**
 * The field checks every message parser uses (native messages, bridge messages): each failure is
 * a ProtocolError that names the field and what was wrong, never the value.
 */
import { ErrorCode, ProtocolError } from './errors';
import { FieldReader } from './field-reader';
import { MAX_URL_LENGTH, ServerUrlError, checkServerUrl } from './server-url';

export { MAX_URL_LENGTH };

export function fail(message: string, code: number = ErrorCode.InvalidField): never {
  throw new ProtocolError(code, message);
}

export function requireObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('a message must be a JSON object', ErrorCode.MalformedMessage);
  }
  return value as Record<string, unknown>;
}

/** The shared field readers (shared/field-reader.ts) for a message: every failure is InvalidField. */
export function messageReader(obj: Record<string, unknown>): FieldReader {
  return new FieldReader(obj, (message) => fail(message));
}

export function requireString(obj: Record<string, unknown>, field: string, maxLength: number): string {
  return messageReader(obj).string(field, { max: maxLength });
}

/** An absolute http(s) URL of bounded length, returned as given. */
export function requireUrl(obj: Record<string, unknown>, field: string): string {
  const value = requireString(obj, field, MAX_URL_LENGTH);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`"${field}" must be an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`"${field}" must be an http(s) URL`);
  return value;
}

/**
 * An MCP server URL, by the one server-URL check (shared/server-url.ts), as a ProtocolError: what
 * the host's network policy refuses (plain http off loopback, characters outside RFC 3986) is
 * InsecureEndpoint, as the host has always named it; anything else is InvalidField. `field`, when
 * given, heads the message.
 */
export function assertServerUrl(value: string, field?: string): URL {
  try {
    return checkServerUrl(value);
  } catch (err) {
    if (!(err instanceof ServerUrlError)) throw err;
    const insecure = err.kind === 'insecure-http' || err.kind === 'uri-chars';
    fail(field ? `"${field}": ${err.message}` : err.message, insecure ? ErrorCode.InsecureEndpoint : ErrorCode.InvalidField);
  }
}

/** A message's MCP server URL field, returned as given: the verdict discovery would reach later, given first. */
export function requireServerUrl(obj: Record<string, unknown>, field: string): string {
  const value = requireString(obj, field, MAX_URL_LENGTH);
  assertServerUrl(value, field);
  return value;
}

/**
 * An optional list of distinct names, each one of `allowed`: undefined when the field is absent,
 * possibly empty when present (an empty list is a choice too, "none of them"). The length is
 * checked before any entry is looked at, so an oversized list costs nothing.
 */
export function optionalNameList<T extends string>(obj: Record<string, unknown>, field: string, allowed: readonly T[]): T[] | undefined {
  const value = obj[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail(`"${field}" must be an array of names`);
  if (value.length > allowed.length) fail(`"${field}" must have at most ${allowed.length} entries`);
  const names: T[] = [];
  for (const item of value) {
    // The message lists what is allowed and never repeats what was sent.
    if (typeof item !== 'string' || !(allowed as readonly string[]).includes(item)) fail(`"${field}" may contain only ${allowed.join(', ')}`);
    if (names.includes(item as T)) fail(`"${field}" must not name an entry twice`);
    names.push(item as T);
  }
  return names;
}

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * An optional list of distinct OAuth scope tokens (RFC 6749 §3.3), bounded in count and length:
 * undefined when the field is absent.
 */
export function optionalScopeList(obj: Record<string, unknown>, field: string, maxEntries = 64, maxLength = 256): string[] | undefined {
  const value = obj[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail(`"${field}" must be an array of scope tokens`);
  if (value.length > maxEntries) fail(`"${field}" must have at most ${maxEntries} entries`);
  const scopes: string[] = [];
  for (const item of value) {
    if (typeof item !== 'string' || item.length > maxLength || !SCOPE_TOKEN.test(item)) {
      fail(`"${field}" may contain only scope tokens (RFC 6749 §3.3) of at most ${maxLength} characters`);
    }
    if (!scopes.includes(item)) scopes.push(item);
  }
  return scopes;
}

/**
 * The field checks every message parser uses (native messages, bridge messages): each failure is
 * a ProtocolError that names the field and what was wrong, never the value.
 */
import { ErrorCode, ProtocolError } from './errors';

export const MAX_URL_LENGTH = 8 * 1024;

export function fail(message: string, code: number = ErrorCode.InvalidField): never {
  throw new ProtocolError(code, message);
}

export function requireObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('a message must be a JSON object', ErrorCode.MalformedMessage);
  }
  return value as Record<string, unknown>;
}

export function requireString(obj: Record<string, unknown>, field: string, maxLength: number): string {
  const value = obj[field];
  if (typeof value !== 'string' || value.length === 0) fail(`"${field}" must be a non-empty string`);
  if (value.length > maxLength) fail(`"${field}" must be at most ${maxLength} characters`);
  return value;
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

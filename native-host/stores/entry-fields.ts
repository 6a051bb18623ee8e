/**
 * Field checks for credential entries read back from files and keychains that other programs also
 * write. Failures name where the entry lives and which field is wrong, and describe the value only
 * by its JSON type — never its content, which may be a token.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';

export type Fields = Record<string, unknown>;

export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks on one entry; `where` reads like `Codex credentials file /x/.credentials.json, entry "k"`. */
export class EntryReader {
  constructor(
    readonly where: string,
    private readonly fields: Fields,
  ) {}

  fail(field: string, problem: string): never {
    throw new ProtocolError(ErrorCode.StoreFailed, `${this.where}: "${field}" ${problem}`);
  }

  private expect(field: string, expected: string): never {
    const value = this.fields[field];
    return this.fail(field, value === undefined ? 'is missing' : `must be ${expected}, got ${jsonType(value)}`);
  }

  string(field: string, { allowEmpty = false } = {}): string {
    const value = this.fields[field];
    if (typeof value !== 'string') this.expect(field, allowEmpty ? 'a string' : 'a non-empty string');
    if (!allowEmpty && value.length === 0) this.fail(field, 'must not be empty');
    return value;
  }

  optionalString(field: string): string | undefined {
    const value = this.fields[field];
    return value === undefined || value === null ? undefined : this.string(field, { allowEmpty: true });
  }

  /** Epoch milliseconds; null/absent allowed when `nullable`. */
  time(field: string, nullable: boolean): number | null {
    const value = this.fields[field];
    if ((value === null || value === undefined) && nullable) return null;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.expect(field, `epoch milliseconds (a non-negative integer)${nullable ? ' or null' : ''}`);
    }
    return value;
  }

  optionalNumber(field: string): number | undefined {
    const value = this.fields[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.expect(field, 'a number');
    return value;
  }

  stringArray(field: string, { optional = false } = {}): string[] {
    const value = this.fields[field];
    if ((value === undefined || value === null) && optional) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) this.expect(field, 'an array of strings');
    return value as string[];
  }

  object(field: string): EntryReader {
    const value = this.fields[field];
    if (!isObject(value)) this.expect(field, 'an object');
    return new EntryReader(`${this.where}, "${field}"`, value);
  }

  optionalObject(field: string): EntryReader | undefined {
    return this.fields[field] === undefined || this.fields[field] === null ? undefined : this.object(field);
  }
}

/** Parses a JSON object. V8's JSON.parse message quotes the input, so it is not passed on. */
export function parseJsonObject(text: string, where: string): Fields {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProtocolError(ErrorCode.StoreFailed, `${where} is not valid JSON; fix or remove it (it may hold other logins: look before deleting).`);
  }
  if (!isObject(parsed)) {
    throw new ProtocolError(ErrorCode.StoreFailed, `${where} must hold a JSON object, got ${jsonType(parsed)}.`);
  }
  return parsed;
}

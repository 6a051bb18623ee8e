/**
 * The one set of field readers for JSON objects another party wrote: the messages the host
 * receives, the host's answers the extension acts on, the credential entries read back from
 * keychains and files (ours and the MCP clients'), the clients' config files. In the manner of
 * oauth4webapi's `assertString(input, it, code)`: one reader per kind of field, and the caller says
 * what error a failure becomes (a numbered protocol error, the extension's "invalid answer", a
 * damaged store entry, an invalid config).
 *
 * A failure names the field and what was expected, and describes a wrong value only by its JSON
 * type (`"expiresAt" must be epoch milliseconds (a non-negative integer), got string`): never its
 * content, which may be a token.
 *
 * Pure (no Node or browser APIs), so both programs and `token`'s small bundle can load it.
 */

export type Fields = Record<string, unknown>;

/** Throws the caller's own error with a message that names the field. */
export type FieldFailure = (message: string) => never;

export function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON type of a value, the only thing a message may say about it. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export interface StringRule {
  /** An empty string is taken (default: refused, "must not be empty"). */
  allowEmpty?: boolean;
  /** Longest taken, in UTF-16 code units (default: unbounded). */
  max?: number;
}

export interface OptionalRule extends StringRule {
  /** Whether `null` counts as absent (default) or as a wrong value. */
  nullIsAbsent?: boolean;
}

/** Reads the fields of one object; every failure goes through `fail`. */
export class FieldReader {
  readonly #fail: FieldFailure;
  readonly #name: (field: string) => string;

  constructor(
    readonly fields: Fields,
    fail: FieldFailure,
    /** How a field is named in messages: `"field"` unless the caller's format differs (a TOML table path). */
    name: (field: string) => string = (field) => `"${field}"`,
  ) {
    this.#fail = fail;
    this.#name = name;
  }

  /** Fails naming the field: `"field" <problem>`. */
  fail(field: string, problem: string): never {
    return this.#fail(`${this.#name(field)} ${problem}`);
  }

  /** Fails for a value of the wrong type: missing, or "must be …, got <JSON type>". */
  expected(field: string, expected: string): never {
    const value = this.fields[field];
    return this.fail(field, value === undefined ? 'is missing' : `must be ${expected}, got ${jsonType(value)}`);
  }

  #absent(field: string, nullIsAbsent = true): boolean {
    const value = this.fields[field];
    return value === undefined || (nullIsAbsent && value === null);
  }

  string(field: string, { allowEmpty = false, max }: StringRule = {}): string {
    const value = this.fields[field];
    if (typeof value !== 'string') this.expected(field, allowEmpty ? 'a string' : 'a non-empty string');
    if (!allowEmpty && value.length === 0) this.fail(field, 'must not be empty');
    if (max !== undefined && value.length > max) this.fail(field, `must be at most ${max} characters`);
    return value;
  }

  /** Absent is undefined; present, it must be a string by the same rule. */
  optionalString(field: string, { nullIsAbsent = true, ...rule }: OptionalRule = {}): string | undefined {
    return this.#absent(field, nullIsAbsent) ? undefined : this.string(field, rule);
  }

  /** A finite number. */
  number(field: string): number {
    const value = this.fields[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) this.expected(field, 'a number');
    return value;
  }

  optionalNumber(field: string, { nullIsAbsent = true }: { nullIsAbsent?: boolean } = {}): number | undefined {
    return this.#absent(field, nullIsAbsent) ? undefined : this.number(field);
  }

  /**
   * Epoch milliseconds (a non-negative safe integer); null is taken when `nullable`, and so is an
   * absent field when `absentIsNull` (formats that leave out "no expiry").
   */
  time(field: string, nullable: boolean, { absentIsNull = false } = {}): number | null {
    const value = this.fields[field];
    if (nullable && (value === null || (absentIsNull && value === undefined))) return null;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.expected(field, `epoch milliseconds (a non-negative integer)${nullable ? ' or null' : ''}`);
    }
    return value;
  }

  boolean(field: string): boolean {
    const value = this.fields[field];
    if (typeof value !== 'boolean') this.expected(field, 'a boolean');
    return value;
  }

  optionalBoolean(field: string, { nullIsAbsent = true }: { nullIsAbsent?: boolean } = {}): boolean | undefined {
    return this.#absent(field, nullIsAbsent) ? undefined : this.boolean(field);
  }

  /** One of a fixed set of strings. */
  oneOf<T extends string>(field: string, allowed: readonly T[]): T {
    const value = this.fields[field];
    const expected = `one of ${allowed.join(', ')}`;
    if (typeof value !== 'string') this.expected(field, expected);
    if (!(allowed as readonly string[]).includes(value)) this.fail(field, `must be ${expected}`);
    return value as T;
  }

  /** An array of strings; absent (or null) is an empty list when `optional`. */
  stringArray(field: string, { optional = false } = {}): string[] {
    const value = this.fields[field];
    if ((value === undefined || value === null) && optional) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) this.expected(field, 'an array of strings');
    return value as string[];
  }

  /** A nested object, read with a reader whose failures say where it is. */
  object(field: string): FieldReader {
    const value = this.fields[field];
    if (!isObject(value)) this.expected(field, 'an object');
    return this.nested(field, value);
  }

  optionalObject(field: string): FieldReader | undefined {
    return this.#absent(field) ? undefined : this.object(field);
  }

  /** The reader for a nested object: its fields are named `"outer"."inner"`. */
  protected nested(field: string, value: Fields): FieldReader {
    return new FieldReader(value, this.#fail, (inner) => `${this.#name(field)}.${this.#name(inner)}`);
  }
}

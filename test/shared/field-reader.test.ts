/**
 * The one set of field readers (shared/field-reader.ts): what each reader takes and refuses, that a
 * failure names the field and only the JSON type of a wrong value, and that each caller's failure
 * becomes its own error (a protocol error, the extension's invalid answer, a damaged store entry).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { FieldReader, isObject, jsonType } from '../../shared/field-reader';
import { parseRequest } from '../../shared/request-parsers';
import { parseCompleteResult } from '../../extension/lib/host/complete-result';
import { EntryReader } from '../../native-host/stores/entry-fields';
import { parseStoredCredential } from '../../native-host/stores/bridge-store';

const SECRET = 'ya29.secret-token-value';

function reader(fields: Record<string, unknown>) {
  return new FieldReader(fields, (message) => {
    throw new Error(message);
  });
}

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a failure');
};

describe('FieldReader', () => {
  it('reads strings: missing, wrong type, empty, too long, each named', () => {
    const r = reader({ a: 'x', empty: '', n: 1, long: 'abcdef' });
    expect(r.string('a')).toBe('x');
    expect(failure(() => r.string('missing'))).toBe('"missing" is missing');
    expect(failure(() => r.string('n'))).toBe('"n" must be a non-empty string, got number');
    expect(failure(() => r.string('empty'))).toBe('"empty" must not be empty');
    expect(r.string('empty', { allowEmpty: true })).toBe('');
    expect(failure(() => r.string('long', { max: 5 }))).toBe('"long" must be at most 5 characters');
  });

  it('reads optional fields: absent and (unless told otherwise) null are undefined; present ones must be right', () => {
    const r = reader({ nul: null, n: 1, t: true });
    expect(r.optionalString('absent')).toBeUndefined();
    expect(r.optionalString('nul')).toBeUndefined();
    expect(failure(() => r.optionalString('nul', { nullIsAbsent: false }))).toBe('"nul" must be a non-empty string, got null');
    expect(failure(() => r.optionalString('n'))).toBe('"n" must be a non-empty string, got number');
    expect(r.optionalBoolean('t')).toBe(true);
    expect(r.optionalNumber('n')).toBe(1);
  });

  it('reads numbers, times, booleans, choices and string lists', () => {
    const r = reader({ n: 1.5, inf: Infinity, t: 5, neg: -1, b: false, m: 'none', bad: 'x', list: ['a'], mixed: ['a', 1] });
    expect(r.number('n')).toBe(1.5);
    expect(failure(() => r.number('inf'))).toBe('"inf" must be a number, got number');
    expect(r.time('t', false)).toBe(5);
    expect(r.time('absent', true, { absentIsNull: true })).toBeNull();
    expect(failure(() => r.time('absent', true))).toBe('"absent" is missing');
    expect(failure(() => r.time('neg', true))).toBe('"neg" must be epoch milliseconds (a non-negative integer) or null, got number');
    expect(failure(() => r.time('n', false))).toMatch(/^"n" must be epoch milliseconds/);
    expect(r.boolean('b')).toBe(false);
    expect(failure(() => r.boolean('m'))).toBe('"m" must be a boolean, got string');
    expect(r.oneOf('m', ['none', 'basic'] as const)).toBe('none');
    expect(failure(() => r.oneOf('bad', ['none', 'basic'] as const))).toBe('"bad" must be one of none, basic');
    expect(r.stringArray('list')).toEqual(['a']);
    expect(r.stringArray('absent', { optional: true })).toEqual([]);
    expect(failure(() => r.stringArray('mixed'))).toBe('"mixed" must be an array of strings, got array');
  });

  it('names nested fields by their path, and a caller may name fields its own way', () => {
    expect(failure(() => reader({ o: { x: 1 } }).object('o').string('x'))).toBe('"o"."x" must be a non-empty string, got number');
    const toml = new FieldReader({ url: 1 }, (m) => { throw new Error(m); }, (key) => `[mcp_servers.a].${key}`);
    expect(failure(() => toml.string('url'))).toBe('[mcp_servers.a].url must be a non-empty string, got number');
  });

  it('never quotes a value, only its JSON type', () => {
    const r = reader({ token: { value: SECRET }, n: SECRET });
    for (const fn of [() => r.string('token'), () => r.number('n'), () => r.boolean('n'), () => r.time('n', true), () => r.oneOf('n', ['a'])]) {
      expect(failure(fn)).not.toContain(SECRET);
    }
    expect(jsonType(null)).toBe('null');
    expect(jsonType([])).toBe('array');
    expect(isObject([])).toBe(false);
  });
});

describe("each caller's failure becomes its own error", () => {
  it('a message field: InvalidField', () => {
    expect(() => parseRequest({ id: 7, type: 'status' })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidField, message: '"id" must be a non-empty string, got number' }));
  });

  it("a host answer: the extension's InvalidHostResponse", () => {
    expect(() => parseCompleteResult({ refreshCapable: true, serverUrl: 1 })).toThrow(
      expect.objectContaining({ errorName: 'InvalidHostResponse', message: expect.stringContaining('"serverUrl" must be a non-empty string, got number') }),
    );
  });

  it('a stored entry: StoreFailed, saying where it is', () => {
    const entry = new EntryReader('Codex credentials file /x, entry "k"', { token_response: { access_token: 5 } });
    const err = (() => {
      try {
        entry.object('token_response').string('access_token');
      } catch (e) {
        return e as ProtocolError;
      }
    })();
    expect(err).toMatchObject({ code: ErrorCode.StoreFailed, message: 'Codex credentials file /x, entry "k", "token_response": "access_token" must be a non-empty string, got number' });
    expect(() => parseStoredCredential(JSON.stringify({ version: 1, serverUrl: 42 }))).toThrow(/"serverUrl" must be a non-empty string, got number/);
  });
});

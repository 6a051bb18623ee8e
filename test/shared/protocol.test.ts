import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors';
import { LIMITS } from '../../shared/protocol';
import { parseRequest, requestIdOf } from '../../shared/request-parsers';

describe('parseRequest', () => {
  it('accepts each message type', () => {
    expect(parseRequest({ id: '1', type: 'hello', extensionVersion: '1.0' })).toEqual({ id: '1', type: 'hello', extensionVersion: '1.0' });
    expect(parseRequest({ id: '2', type: 'begin', serverUrl: 'https://x.test/mcp' })).toMatchObject({ type: 'begin' });
    expect(parseRequest({ id: '3', type: 'complete', callbackUrl: 'http://127.0.0.1:1/callback?code=a&state=b' })).toMatchObject({
      type: 'complete',
    });
    expect(parseRequest({ id: '4', type: 'status' })).toEqual({ id: '4', type: 'status' });
  });
  it.each([
    [[], ErrorCode.MalformedMessage],
    ['text', ErrorCode.MalformedMessage],
    [{ type: 'status' }, ErrorCode.InvalidField],
    [{ id: 'x'.repeat(LIMITS.maxIdLength + 1), type: 'status' }, ErrorCode.InvalidField],
    [{ id: '1', type: 'steal' }, ErrorCode.UnknownType],
    [{ id: '1', type: 'begin' }, ErrorCode.InvalidField],
    [{ id: '1', type: 'begin', serverUrl: 'javascript:alert(1)' }, ErrorCode.InvalidField],
    [{ id: '1', type: 'begin', serverUrl: 'not a url' }, ErrorCode.InvalidField],
    [{ id: '1', type: 'complete', callbackUrl: `https://x.test/?${'a'.repeat(LIMITS.maxUrlLength)}` }, ErrorCode.InvalidField],
  ])('rejects %j with code %i', (message, code) => {
    expect(() => parseRequest(message)).toThrow(expect.objectContaining({ code }));
  });
  it('recovers the id of an invalid message so its error can be matched', () => {
    expect(requestIdOf({ id: 'abc', type: 'nope' })).toBe('abc');
    expect(requestIdOf(null)).toBe('');
  });
});

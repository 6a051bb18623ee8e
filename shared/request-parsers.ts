/**
 * How the host validates a native request into the types of `protocol.ts`: the envelope every
 * request shares, one parser per request type (PROTOCOL.md, one section per type), and the error for
 * a type it does not know. `bridge-protocol.ts` builds its own table from the same pieces.
 */
import { ErrorCode } from './errors';
import { fail, messageReader, requireObject, requireServerUrl, requireString, requireUrl } from './message-fields';
import { LIMITS, type Request } from './protocol';

/** The envelope every request shares: an object with an `id`; `type` is read by whoever knows the types. */
export function readEnvelope(value: unknown): { fields: Record<string, unknown>; id: string } {
  const fields = requireObject(value);
  return { fields, id: requireString(fields, 'id', LIMITS.maxIdLength) };
}

/** For each request type, how its own fields are validated: the envelope is already read. */
export type RequestParsers<R extends { id: string; type: string }> = {
  [T in R['type']]: (fields: Record<string, unknown>, id: string) => Extract<R, { type: T }>;
};

/** The parser for `type` in `parsers`, or undefined (only own keys: "toString" is no type). */
export function parserFor<P extends object>(parsers: P, type: unknown): P[keyof P] | undefined {
  return typeof type === 'string' && Object.hasOwn(parsers, type) ? parsers[type as keyof P] : undefined;
}

/** Each native request's fields (PROTOCOL.md, one section per type). */
export const REQUEST_PARSERS: RequestParsers<Request> = {
  hello: (fields, id) => {
    const extensionVersion = messageReader(fields).optionalString('extensionVersion', { allowEmpty: true, max: 64, nullIsAbsent: false });
    return { id, type: 'hello', extensionVersion };
  },
  begin: (fields, id) => ({ id, type: 'begin', serverUrl: requireServerUrl(fields, 'serverUrl') }),
  complete: (fields, id) => ({ id, type: 'complete', callbackUrl: requireUrl(fields, 'callbackUrl') }),
  status: (_fields, id) => ({ id, type: 'status' }),
  logout: (fields, id) => ({ id, type: 'logout', serverUrl: requireServerUrl(fields, 'serverUrl') }),
};

export function unknownRequestType(type: unknown): never {
  fail(
    `unknown message type ${JSON.stringify(String(type)).slice(0, 80)}; expected one of ${Object.keys(REQUEST_PARSERS).join(', ')}`,
    ErrorCode.UnknownType,
  );
}

/**
 * Validates one decoded message and returns it typed. Throws ProtocolError naming the field.
 * Unknown extra fields are ignored, so older hosts accept newer extensions' additions.
 */
export function parseRequest(value: unknown): Request {
  const { fields, id } = readEnvelope(value);
  const parse = parserFor(REQUEST_PARSERS, fields.type);
  if (!parse) unknownRequestType(fields.type);
  return (parse as (fields: Record<string, unknown>, id: string) => Request)(fields, id);
}

/** Best-effort id of a message that failed validation, so its error can still be matched. */
export function requestIdOf(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const id = (value as Record<string, unknown>).id;
    if (typeof id === 'string' && id.length <= LIMITS.maxIdLength) return id;
  }
  return '';
}

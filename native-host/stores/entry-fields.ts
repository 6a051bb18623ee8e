/**
 * Field checks for credential entries read back from files and keychains that other programs also
 * write. Failures name where the entry lives and which field is wrong, and describe the value only
 * by its JSON type — never its content, which may be a token.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { FieldReader, isObject, jsonType, type Fields } from '../../shared/field-reader';

export { isObject, jsonType, type Fields };

/**
 * The shared field readers (shared/field-reader.ts) for one stored entry, failing with StoreFailed;
 * `where` reads like `Codex credentials file /x/.credentials.json, entry "k"`.
 */
export class EntryReader extends FieldReader {
  constructor(
    readonly where: string,
    fields: Fields,
  ) {
    super(fields, (message) => {
      throw new ProtocolError(ErrorCode.StoreFailed, `${where}: ${message}`);
    });
  }

  /** Present, an optional text may be empty in the clients' entries (they write "" for none). */
  override optionalString(field: string): string | undefined {
    return super.optionalString(field, { allowEmpty: true });
  }

  /** The clients leave out an expiry they do not know: absent is null when `nullable`. */
  override time(field: string, nullable: boolean): number | null {
    return super.time(field, nullable, { absentIsNull: true });
  }

  override object(field: string): EntryReader {
    return super.object(field) as EntryReader;
  }

  override optionalObject(field: string): EntryReader | undefined {
    return super.optionalObject(field) as EntryReader | undefined;
  }

  /** A nested entry says where it is as the outer one does: `…, "token_response": "access_token" is missing`. */
  protected override nested(field: string, value: Fields): EntryReader {
    return new EntryReader(`${this.where}, "${field}"`, value);
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

/**
 * Native messaging framing: each message is a 4-byte little-endian length followed by that many
 * bytes of UTF-8 JSON, in both directions (Chrome and Firefox alike). The declared length is
 * checked before any of the body is buffered, so a hostile or broken peer cannot make the host
 * allocate what it announces.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';

export type FrameEvent = { kind: 'message'; value: unknown } | { kind: 'error'; error: ProtocolError; fatal: boolean };

/**
 * Splits a byte stream into decoded messages. Feed it chunks; it returns what they completed.
 * After a fatal error (a length over the limit) the stream cannot be resynchronised and the
 * reader stops.
 */
export class FrameReader {
  readonly #maxBytes: number;
  #buffer: Buffer = Buffer.alloc(0);
  #dead = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer): FrameEvent[] {
    if (this.#dead) return [];
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    const events: FrameEvent[] = [];
    while (this.#buffer.length >= 4) {
      const length = this.#buffer.readUInt32LE(0);
      if (length > this.#maxBytes) {
        this.#dead = true;
        this.#buffer = Buffer.alloc(0);
        events.push({
          kind: 'error',
          fatal: true,
          error: new ProtocolError(ErrorCode.FrameTooLarge, `a message of ${length} bytes exceeds the limit of ${this.#maxBytes} bytes`),
        });
        break;
      }
      if (this.#buffer.length < 4 + length) break;
      const body = this.#buffer.subarray(4, 4 + length);
      this.#buffer = this.#buffer.subarray(4 + length);
      events.push(decode(body));
    }
    return events;
  }

  /** Bytes of an incomplete frame left when the stream ended. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }
}

function decode(body: Buffer): FrameEvent {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    return { kind: 'message', value: JSON.parse(text) };
  } catch (err) {
    // V8's JSON.parse message quotes the input, which may be a callback URL with its code: the
    // error (which the extension may display or keep) names the position only.
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    return {
      kind: 'error',
      fatal: false,
      error: new ProtocolError(ErrorCode.MalformedMessage, `a message is not valid UTF-8 JSON${position ? ` (near byte ${position})` : ''}`),
    };
  }
}

/** Encodes one message; throws when it would exceed what the browser accepts. */
export function encodeFrame(value: unknown, maxBytes: number): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  if (body.length > maxBytes) {
    throw new ProtocolError(ErrorCode.Internal, `a response of ${body.length} bytes exceeds the limit of ${maxBytes} bytes`);
  }
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length, 0);
  return Buffer.concat([header, body]);
}

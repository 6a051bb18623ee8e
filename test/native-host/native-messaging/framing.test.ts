import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { encodeFrame, FrameReader } from '../../../native-host/native-messaging/framing';

function frame(body: string | Buffer): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const h = Buffer.alloc(4);
  h.writeUInt32LE(b.length);
  return Buffer.concat([h, b]);
}

describe('FrameReader', () => {
  it('decodes frames split across chunks and several frames in one chunk', () => {
    const reader = new FrameReader(1024);
    const bytes = Buffer.concat([frame('{"a":1}'), frame('{"b":"é"}')]);
    const events = [...reader.push(bytes.subarray(0, 3)), ...reader.push(bytes.subarray(3, 9)), ...reader.push(bytes.subarray(9))];
    expect(events).toEqual([
      { kind: 'message', value: { a: 1 } },
      { kind: 'message', value: { b: 'é' } },
    ]);
    expect(reader.pendingBytes).toBe(0);
  });
  it('refuses a declared length over the limit before the body arrives, and stops', () => {
    const reader = new FrameReader(16);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(0xffffffff);
    const [event] = reader.push(header);
    expect(event).toMatchObject({ kind: 'error', fatal: true, error: { code: ErrorCode.FrameTooLarge } });
    expect(reader.push(frame('{}'))).toEqual([]);
  });
  it('reports malformed JSON and invalid UTF-8 without stopping', () => {
    const reader = new FrameReader(1024);
    const events = reader.push(Buffer.concat([frame('{nope'), frame(Buffer.from([0xff, 0xfe])), frame('{"ok":true}')]));
    expect(events.map((e) => e.kind)).toEqual(['error', 'error', 'message']);
    expect(events[0]).toMatchObject({ fatal: false, error: { code: ErrorCode.MalformedMessage } });
  });
});

describe('FrameReader errors', () => {
  it('never quotes the broken message back (it may carry an authorization code)', () => {
    const reader = new FrameReader(1024);
    // A bare callback query instead of a JSON message: V8 quotes it in its own error text.
    const [event] = reader.push(frame('code=SECRETCODE123'));
    expect(event).toMatchObject({ kind: 'error', error: { code: ErrorCode.MalformedMessage } });
    expect(event!.kind === 'error' && event!.error.message).not.toMatch(/SECRETCODE/);
  });
});

describe('encodeFrame', () => {
  it('writes a little-endian length prefix', () => {
    const out = encodeFrame({ x: 1 }, 100);
    expect(out.readUInt32LE(0)).toBe(out.length - 4);
    expect(JSON.parse(out.subarray(4).toString())).toEqual({ x: 1 });
  });
  it('refuses a response over the browser limit', () => {
    expect(() => encodeFrame({ x: 'y'.repeat(100) }, 50)).toThrow(/exceeds the limit/);
  });
});

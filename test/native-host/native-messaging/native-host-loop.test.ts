/** The native messaging loop in this process, with streams the test controls. */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { HostContext } from '../../../native-host/host-context';
import { runNativeHost } from '../../../native-host/native-messaging/native-host-loop';

function frame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length);
  return Buffer.concat([header, body]);
}

describe('native messaging loop', () => {
  it('finishes, as on stdin EOF, when writing to stdout fails (the browser closed the pipe: EPIPE)', async () => {
    const input = new PassThrough();
    const output = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const ctx = { version: 'test' } as unknown as HostContext;
    const done = runNativeHost(ctx, { input, output });
    // Any request gets an answer; an unknown type needs nothing from the context.
    input.write(frame({ id: 'x', type: 'no-such-type' }));
    const result = await Promise.race([done.then(() => 'finished'), new Promise((r) => setTimeout(() => r('still running'), 2000))]);
    expect(result).toBe('finished');
    expect(input.destroyed).toBe(true);
  });
});

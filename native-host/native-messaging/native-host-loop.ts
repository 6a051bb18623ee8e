/**
 * The host as the browser runs it: frames in on stdin, frames out on stdout, nothing else on
 * stdout (console output is sent to stderr, which the browser logs). Requests run concurrently
 * and answer by id, so a slow `begin` does not hold up a `status`. The process ends when the
 * browser closes stdin or stops reading stdout (the extension's port was disconnected).
 */
import { LIMITS } from '../../shared/protocol';
import type { HostContext } from '../host-context';
import { errorResponse, respond } from '../requests/dispatch';
import { encodeFrame, FrameReader } from './framing';

export interface NativeIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

export function routeConsoleToStderr(): void {
  const toStderr = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(' ')}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}

export function runNativeHost(ctx: HostContext, io: NativeIo): Promise<void> {
  const reader = new FrameReader(LIMITS.maxRequestBytes);
  const inFlight = new Set<Promise<void>>();
  const send = (value: unknown) => {
    try {
      io.output.write(encodeFrame(value, LIMITS.maxResponseBytes));
    } catch (err) {
      const id = typeof value === 'object' && value !== null ? String((value as { id?: unknown }).id ?? '') : '';
      io.output.write(encodeFrame(errorResponse(id, err), LIMITS.maxResponseBytes));
    }
  };

  return new Promise<void>((resolve) => {
    const finish = () => {
      io.input.removeAllListeners('data');
      // Closing our end of stdin lets the process exit even while the browser keeps the pipe.
      (io.input as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      void Promise.allSettled([...inFlight]).then(() => resolve());
    };
    io.input.on('data', (chunk: Buffer) => {
      for (const event of reader.push(chunk)) {
        if (event.kind === 'error') {
          send(errorResponse('', event.error));
          // An oversized frame leaves the stream unreadable: stop reading; the browser sees the
          // disconnect and the extension reconnects to a fresh host.
          if (event.fatal) return finish();
          continue;
        }
        const task = respond(ctx, event.value).then(send);
        inFlight.add(task);
        void task.finally(() => inFlight.delete(task));
      }
    });
    io.input.on('end', finish);
    io.input.on('error', finish);
    // The browser closed its end of our stdout (the port was disconnected): a write then fails
    // with EPIPE as an 'error' event, which unhandled would crash the host. Nobody can read us
    // any more, so end as if stdin had closed. The listener stays for later writes (pushes).
    io.output.on('error', finish);
  });
}

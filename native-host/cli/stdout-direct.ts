/**
 * `token`'s answer written straight to file descriptor 1. Node builds `process.stdout` at its first
 * use, and building it loads node:stream with net (a pipe, as MCP clients run a headers helper),
 * tty or fs streams: about 5 ms of a call that is otherwise at the keychain's floor, to write one
 * line that fits in any pipe's buffer.
 *
 * A descriptor the caller left non-blocking can refuse part of it (EAGAIN); what is left then goes
 * through `process.stdout`, which queues it, and the process waits for that stream before it exits.
 */
import { writeSync } from 'node:fs';

/** Set by the first write: whether everything written here has left the process. */
let written: 'directly' | 'queued' | undefined;

/** Writes `text` to stdout, synchronously where the descriptor allows it. */
export function writeStdout(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  written ??= 'directly';
  try {
    while (offset < bytes.length) offset += writeSync(1, bytes, offset);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    written = 'queued';
    process.stdout.write(bytes.subarray(offset));
  }
}

/**
 * Whether the answer went out here and all of it has left the process: the process may exit at
 * once. False when nothing was written here (help and errors use `process.stdout`) or part of it
 * was queued there; then the caller waits for that stream.
 */
export function answeredDirectly(): boolean {
  return written === 'directly';
}

/** For `printJson` and the like, which take a stream-like `{ write }`. */
export const directStdout = { write: writeStdout };

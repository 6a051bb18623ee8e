/**
 * A command's I/O for in-process tests (native-host/cli/command.ts): what it writes is kept in
 * strings, stdin is empty unless given, and env and clock are the test's.
 */
import { Readable } from 'node:stream';
import type { CommandIO } from '../../native-host/cli/command';

export interface CapturedIO {
  io: CommandIO;
  stdout(): string;
  stderr(): string;
}

export function captureIO(env: NodeJS.ProcessEnv, options: { now?: number; stdin?: string } = {}): CapturedIO {
  let out = '';
  let err = '';
  const io: CommandIO = {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    env,
    now: () => options.now ?? Date.now(),
  };
  return { io, stdout: () => out, stderr: () => err };
}

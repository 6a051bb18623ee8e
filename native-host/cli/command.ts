/**
 * What a command is, and the seam tests run it through. In the manner of gh's `pkg/cmd/*`: a
 * command's `run` takes its arguments and its I/O (`CommandIO`), and each command module also
 * exports an `Options` type (the parsed flags, the I/O, and the dependencies: stores, adapters,
 * browser openers), a `run…(options)` that does the work, and a `create…Command(deps, runF)` that
 * builds the command with some dependencies replaced (or, with `runF`, stops after parsing and
 * hands the options over). `main.ts` runs the default commands with this process's I/O.
 */
import type { ParseArgsConfig } from 'node:util';
import { ExitCode, reportError, reportUsageError, UsageError, type OutputStreams } from './output';
import { parseCommand } from './parse';

/** A stream a command writes text to (process.stdout, or a test's buffer). */
export interface TextOut {
  write(text: string): unknown;
  /** A terminal: progress is drawn in place; otherwise it is printed as plain lines. */
  isTTY?: boolean;
}

/** Everything a command reads from or writes to outside its arguments. */
export interface CommandIO extends OutputStreams {
  stdout: TextOut;
  stderr: TextOut;
  stdin: NodeJS.ReadableStream;
  /** Where homes, config folders and runtime folders are looked up (default process.env). */
  env: NodeJS.ProcessEnv;
  /** Epoch milliseconds, for "expires in …". */
  now: () => number;
}

/** This process's I/O: what every command uses outside tests. */
export function processIO(): CommandIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, now: Date.now };
}

export interface Command {
  name: string;
  summary: string;
  /** Full --help text. */
  help: string;
  /** Returns the process exit code; `io` defaults to this process's. */
  run(args: string[], io?: CommandIO): Promise<number>;
}

type Flags = NonNullable<ParseArgsConfig['options']>;
export type Parsed<F extends Flags> = ReturnType<typeof parseCommand<F>>;

/**
 * The part every command shares: parse (a mistake is a usage error, exit 2), `--help`, and one
 * report of whatever `body` throws (as JSON on stdout with --json). `body` gets the parsed
 * arguments and returns the exit code.
 */
export async function runParsed<F extends Flags>(
  args: string[],
  io: CommandIO,
  help: string,
  flags: F,
  body: (parsed: Parsed<F>, json: boolean) => Promise<number>,
): Promise<number> {
  let parsed: Parsed<F>;
  try {
    parsed = parseCommand(args, flags);
  } catch (err) {
    // Options are not known yet: --json anywhere in the line asks for a JSON error.
    if (err instanceof UsageError) return reportUsageError(err, args.includes('--json'), io);
    throw err;
  }
  if ((parsed.values as { help?: boolean }).help) return (io.stdout.write(`${help}\n`), ExitCode.Ok);
  const json = Boolean((parsed.values as { json?: boolean }).json);
  try {
    return await body(parsed, json);
  } catch (err) {
    return reportError(err, json, io);
  }
}

/**
 * A command from its parts: `options` turns the parsed line into the command's Options (a mistake
 * there is a UsageError), `runF` does the work. Tests build one with their own `runF`, or with
 * dependencies replaced, and run it with their own I/O.
 */
export function defineCommand<F extends Flags, O>(
  spec: { name: string; summary: string; help: string; flags: F; options: (parsed: Parsed<F>, io: CommandIO, json: boolean) => O | Promise<O> },
  runF: (options: O) => Promise<number>,
): Command {
  const { name, summary, help, flags } = spec;
  return {
    name,
    summary,
    help,
    run: (args, io = processIO()) => runParsed(args, io, help, flags, async (parsed, json) => runF(await spec.options(parsed, io, json))),
  };
}

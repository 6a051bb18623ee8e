/**
 * The length limit on the server argument of `login` and `token`: the URL limit the native
 * protocol enforces on `begin`. Checked before anything else — before the argument is echoed in a
 * message, looked up or sent anywhere — so a huge argument costs nothing and prints nothing but its
 * length. A module of its own: `token` starts on every MCP request and loads nothing it does not use.
 */
import { serverUrlLengthProblem } from '../../shared/server-url';
import { UsageError } from './output';
import { serverUrlArg } from './parse';

/** Throws a usage error, quoting only the length, when an argument exceeds the URL limit. */
export function assertServerArgLength(positionals: readonly string[], command: string): void {
  for (const value of positionals) {
    const tooLong = serverUrlLengthProblem(value);
    if (tooLong) throw new UsageError(`${command}: ${tooLong.message}`);
  }
}

/** `token`'s argument: one server URL, within the limit. */
export function serverUrlFromArgs(positionals: readonly string[], command: string): string {
  assertServerArgLength(positionals, command);
  return serverUrlArg([...positionals], command);
}

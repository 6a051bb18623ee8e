/**
 * `mcp-login-bridge connect` (and its alias `proxy`), built on its own into
 * dist/native-host/connect.cjs: one CommonJS file, because a client starts this process and waits
 * for it before its first request, and a single CommonJS file starts like a plain script (no ESM
 * graph of chunks to resolve and link). The launcher (bin/mcp-login-bridge.cjs) and the bundle's
 * entry (main.ts) hand `connect` here; the login code stays a file of its own
 * (connect-login.cjs), read only when a login is needed.
 */
import { join } from 'node:path';
import { connectCommand } from '../cli/connect';
import { ExitCode, reportUsageError, setUsageCommand, UsageError } from '../cli/output';
import { setEntryScript } from '../entry-script';

/** Runs `connect` with its own arguments (those after the word `connect`). */
export function runConnectCommand(args: string[]): void {
  // The set-up lines in --help name the bundle's entry beside this file, as main.ts would.
  setEntryScript(join(__dirname, 'mcp-login-bridge.mjs'));
  setUsageCommand('connect');
  connectCommand.run(args).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.exitCode = reportUsageError(err, false);
        return;
      }
      process.stderr.write(`mcp-login-bridge: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = ExitCode.Failed;
    },
  );
}

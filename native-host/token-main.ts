/**
 * `mcp-login-bridge token`, built on its own into dist/native-host/token.cjs: one CommonJS file
 * with no ESM graph to resolve, because Claude Code and Codex run it before MCP requests and a
 * headers helper pays Node's start-up on every call. The launcher (bin/mcp-login-bridge.cjs) and
 * the bundle's entry hand `token` here; everything else goes to main.ts.
 *
 * The process exits as soon as the answer is on stdout: nothing started on the way is worth
 * waiting for once the token is printed and stored.
 */
import { setFlagsFromString } from 'node:v8';
import { ExitCode, reportUsageError, setUsageCommand, UsageError } from './cli/output';
import { tokenCommand } from './cli/token';

// oauth4webapi needs the global Headers and Response, and Node builds them with its internal fetch,
// whose loading starts a WebAssembly compile of its HTTP parser (never used here: requests go
// through node:http). V8 would compile it again in the background with its optimizing tier and
// hold the process at exit until that is done. Liftoff only: the one quick baseline compile.
setFlagsFromString('--liftoff-only');

/** Runs `token` with its own arguments (those after the word `token`) and exits. */
export function runTokenCommand(args: string[]): void {
  const exit = (code: number) => {
    // The callback runs once everything written before it has left (pipes are asynchronous on Windows).
    process.stdout.write('', () => process.exit(code));
  };
  setUsageCommand('token');
  // Options are parsed before the command knows about --json: its usage errors end here, as in main.ts.
  tokenCommand.run(args).then(exit, (err: unknown) => {
    if (err instanceof UsageError) return exit(reportUsageError(err, args.includes('--json')));
    process.stderr.write(`mcp-login-bridge: ${(err as Error).stack ?? String(err)}\n`);
    exit(ExitCode.Failed);
  });
}

/**
 * `mcp-login-bridge token`, built on its own into dist/native-host/token.cjs: CommonJS with no ESM
 * graph to resolve, because Claude Code and Codex run it before MCP requests and a headers helper
 * pays Node's start-up on every call. The launcher (bin/mcp-login-bridge.cjs) and the bundle's
 * entry hand `token` here; everything else goes to main.ts.
 *
 * token.cjs holds what this file imports statically: the path of a valid stored token. What that
 * path imports dynamically (the refresh, the clients' copies, the server-name lookup) is built into
 * token-lazy.cjs, which loads only when one of those is needed (build.mjs; token-lazy-main.ts runs
 * first there).
 *
 * The process exits as soon as the answer is on stdout: nothing started on the way is worth
 * waiting for once the token is printed and stored.
 */
import { ExitCode, reportUsageError, setUsageCommand, UsageError } from './cli/output';
import { answeredDirectly } from './cli/stdout-direct';
import { tokenCommand } from './cli/token';
import { useSynchronousKeychain } from './stores/keyring-entry';

/** Runs `token` with its own arguments (those after the word `token`) and exits. */
export function runTokenCommand(args: string[]): void {
  const exit = (code: number) => {
    // The answer is usually written straight to the descriptor (stdout-direct.ts), and then is out.
    if (answeredDirectly()) process.exit(code);
    // Else the callback runs once everything written before it has left (pipes are asynchronous on Windows).
    process.stdout.write('', () => process.exit(code));
  };
  setUsageCommand('token');
  // One process, one answer: nothing runs beside the keychain call, so it need not go through
  // libuv's thread pool (which, with the config read synchronous too, never starts on this path).
  useSynchronousKeychain();
  // Options are parsed before the command knows about --json: its usage errors end here, as in main.ts.
  tokenCommand.run(args).then(exit, (err: unknown) => {
    if (err instanceof UsageError) return exit(reportUsageError(err, args.includes('--json')));
    process.stderr.write(`mcp-login-bridge: ${(err as Error).stack ?? String(err)}\n`);
    exit(ExitCode.Failed);
  });
}

/**
 * `mcp-login-bridge token`, built on its own into dist/native-host/token.cjs: one CommonJS file
 * with no ESM graph to resolve, because Claude Code and Codex run it before MCP requests and a
 * headers helper pays Node's start-up on every call. The launcher (bin/mcp-login-bridge.cjs) and
 * the bundle's entry hand `token` here; everything else goes to main.ts.
 *
 * The process exits as soon as the answer is on stdout: nothing started on the way (Node's fetch
 * internals compile their HTTP parser in the background once oauth4webapi touches `Headers`) is
 * worth waiting for once the token is printed and stored.
 */
import { tokenCommand } from './cli/token';

const EXIT_FAILED = 1;

/** Runs `token` with its own arguments (those after the word `token`) and exits. */
export function runTokenCommand(args: string[]): void {
  const exit = (code: number) => {
    // The callback runs once everything written before it has left (pipes are asynchronous on Windows).
    process.stdout.write('', () => process.exit(code));
  };
  tokenCommand.run(args).then(exit, (err: unknown) => {
    process.stderr.write(`mcp-login-bridge: ${(err as Error).stack ?? String(err)}\n`);
    exit(EXIT_FAILED);
  });
}

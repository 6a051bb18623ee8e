/**
 * The one executable: a native messaging host when a browser starts it (the arguments say so:
 * Chrome passes the caller's origin, Firefox the manifest path and add-on id), a CLI otherwise.
 */
import { errorResponse } from './requests/dispatch';
import { installCommand } from './cli/install';
import { loginCommand } from './cli/login';
import { statusCommand } from './cli/status';
import { tokenCommand } from './cli/token';
import type { Command } from './cli/command';
import { ExitCode, reportError, UsageError } from './cli/output';
import { loadConfig } from './config';
import { createHostContext, HOST_VERSION } from './host-context';
import { assertCallerAllowed, detectCaller } from './native-messaging/caller';
import { encodeFrame } from './native-messaging/framing';
import { routeConsoleToStderr, runNativeHost } from './native-messaging/native-host-loop';
import { LIMITS } from '../shared/protocol';

const COMMANDS: Command[] = [loginCommand, tokenCommand, statusCommand, installCommand];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `mcp-login-bridge ${HOST_VERSION}: stay logged in to OAuth-protected MCP servers.

Usage: mcp-login-bridge <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "mcp-login-bridge <command> --help" for a command's options.
When a browser starts this program (native messaging), it speaks the protocol in PROTOCOL.md.`;
}

async function runNative(args: string[]): Promise<number> {
  routeConsoleToStderr();
  const caller = detectCaller(args)!;
  try {
    const config = await loadConfig();
    assertCallerAllowed(caller, config.allowedExtensionIds);
  } catch (err) {
    // Say why on the only channel the extension reads, then stop.
    process.stdout.write(encodeFrame(errorResponse('', err), LIMITS.maxResponseBytes));
    return ExitCode.Failed;
  }
  const ctx = createHostContext();
  await runNativeHost(ctx, { input: process.stdin, output: process.stdout });
  await ctx.close();
  return ExitCode.Ok;
}

async function runCli(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(`${topic ? topic.help : mainHelp()}\n`);
    return ExitCode.Ok;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${HOST_VERSION}\n`);
    return ExitCode.Ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) return reportError(new UsageError(`unknown command ${JSON.stringify(name)}`), false);
  return command.run(rest);
}

const args = process.argv.slice(2);
const run = detectCaller(args) ? runNative : runCli;
run(args).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`mcp-login-bridge: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = ExitCode.Failed;
  },
);

/**
 * The one executable: a native messaging host when a browser starts it (the arguments say so:
 * Chrome passes the caller's origin, Firefox the manifest path and add-on id), a CLI otherwise.
 *
 * Everything but this table is loaded on demand (the bundle is split per command), so `token`,
 * run before every MCP request by a headers helper, loads only what `token` needs.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Command } from './cli/command';
import { closestName } from './cli/did-you-mean';
import { ExitCode, exitCodesTable } from './cli/exit-codes';
import { reportUsageError, setUsageCommand, UsageError } from './cli/output';
import { setEntryScript } from './entry-script';
import { HOST_VERSION } from './version';
import { detectCaller } from './native-messaging/caller';

interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

const COMMANDS: CommandEntry[] = [
  { name: 'login', summary: 'Log in to an MCP server in the browser and store a refresh-capable credential', load: () => import('./cli/login').then((m) => m.loginCommand) },
  { name: 'token', summary: 'Print a valid access token for a server, refreshing it first if needed', load: () => import('./cli/token').then((m) => m.tokenCommand) },
  { name: 'connect', summary: 'Serve a remote MCP server over stdio, logged in with this bridge (for Claude Desktop, Cursor, VS Code, Windsurf, …)', load: () => import('./cli/connect').then((m) => m.connectCommand) },
  { name: 'status', summary: 'Show the servers you are logged in to and whether each can refresh', load: () => import('./cli/status').then((m) => m.statusCommand) },
  { name: 'logout', summary: 'Forget a server\'s login and revoke it at the provider', load: () => import('./cli/logout').then((m) => m.logoutCommand) },
  { name: 'install', summary: 'Register the native host with a browser so the extension can reach it', load: () => import('./cli/install').then((m) => m.installCommand) },
  { name: 'uninstall', summary: 'Remove the native host registration from a browser', load: () => import('./cli/uninstall').then((m) => m.uninstallCommand) },
  { name: 'doctor', summary: 'Check the installation, the keychain, the config and running hosts; say what to fix', load: () => import('./cli/doctor').then((m) => m.doctorCommand) },
];

/** Other names a command answers to: mcp-remote users look for `proxy`. */
const ALIASES: Record<string, string> = { proxy: 'connect' };

/** The options that stand where a command would. */
const TOP_LEVEL_OPTIONS = ['--help', '--version'];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `mcp-login-bridge ${HOST_VERSION}: stay logged in to OAuth-protected MCP servers.

Usage: mcp-login-bridge <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "mcp-login-bridge <command> --help" for a command's options.

Exit codes (a command's --help says what each means there):
${exitCodesTable()}

When a browser starts this program (native messaging), it speaks the protocol in PROTOCOL.md.`;
}

async function runCli(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === (ALIASES[rest[0] ?? ''] ?? rest[0])) : undefined;
    process.stdout.write(`${topic ? (await topic.load()).help : mainHelp()}\n`);
    return ExitCode.Ok;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${HOST_VERSION}\n`);
    return ExitCode.Ok;
  }
  const entry = COMMANDS.find((c) => c.name === (ALIASES[name] ?? name));
  const json = rest.includes('--json');
  if (!entry) {
    // "version" or "--verison" (gh and git take `version`): point at the option this program has.
    const option = closestName(name.startsWith('-') ? name : `--${name}`, TOP_LEVEL_OPTIONS);
    const guess = name.startsWith('-') ? option : (closestName(name, COMMANDS.map((c) => c.name)) ?? option);
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`;
    return reportUsageError(new UsageError(what, guess ? `Did you mean "${guess}"?` : `Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`), json);
  }
  setUsageCommand(entry.name);
  try {
    return await (await entry.load()).run(rest);
  } catch (err) {
    // Options are parsed before a command knows about --json; every command's usage errors end here.
    if (err instanceof UsageError) return reportUsageError(err, json);
    throw err;
  }
}

declare const __HOST_VERSION__: string | undefined;

setEntryScript(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const caller = detectCaller(args);
// In the built bundle, `token` runs from token.cjs beside it (built alone for start-up time); run
// from source, it loads like any other command.
if (!caller && args[0] === 'token' && typeof __HOST_VERSION__ === 'string') {
  (createRequire(import.meta.url)('./token.cjs') as typeof import('./token-main')).runTokenCommand(args.slice(1));
} else if (!caller && (args[0] === 'connect' || args[0] === 'proxy') && typeof __HOST_VERSION__ === 'string') {
  // Likewise `connect`, which desktop clients start by this file's path (connect --help's set-up lines).
  (createRequire(import.meta.url)('./connect.cjs') as typeof import('./connect/connect-main')).runConnectCommand(args.slice(1));
} else {
  const run = caller ? import('./native-mode').then((m) => m.runNative(caller)) : runCli(args);
  finish(run);
}

function finish(run: Promise<number>): void {
  run.then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`mcp-login-bridge: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = ExitCode.Failed;
    },
  );
}

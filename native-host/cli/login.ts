import { ProtocolError } from '../../shared/errors';
import { CLIENT_NAMES, LIMITS, type CompleteResult } from '../../shared/protocol';
import type { ClientName } from '../clients/client-adapter';
import { clientLabels, describeClients } from '../clients/registry';
import { LoginInterrupted, defaultLoginDeps, runLoginFlow, type InterruptSource, type LoginDeps, type LoginReporter } from '../login/login-flow';
import { BrowserNotRunning } from '../login/through-extension';
import { terminalSafe } from '../terminal-text';
import { defineCommand, type Command, type CommandIO } from './command';
import { ExitCode, formatExpiry, printJson, reportError, startProgress, UsageError } from './output';
import { resolveServerArg } from './server-arg';
import { exitCodesHelp } from './exit-codes';

/** Where a login can be written: our keychain entry (always) and the local clients that have the server configured. */
const TARGETS = ['bridge', ...CLIENT_NAMES] as const;

const HELP = `Usage: mcp-login-bridge login <server-url|name> [--browser <name>] [--no-extension] [--no-browser]
                              [--timeout <seconds>] [--client <target>]… [--write-config] [--json]

Discovers the server's authorization server and opens the login with the parameters the provider
needs to issue a refresh token (e.g. Google's access_type=offline and prompt=consent), then stores
the credential in the OS keychain (without one, a 0600 file; the host config's "store" decides),
and in every local MCP client that has the server configured with exactly this URL:
${describeClients()}
Prints a summary, never a token. Before anything opens, it checks that every store it will write
can be written, and otherwise stops with the reason and the fix.

When a browser with the extension is running, the login opens as a tab of that browser (your real
profile, its passkeys and sessions) and the extension hands the callback to the host. Otherwise it
opens in your default browser and the callback comes back to a loopback port of this process.
The default browser is given a one-time link to that port (other users of this machine can read
a browser's command line), which sends it on to the sign-in; finish the login in that browser.

A name instead of a URL is looked up among the MCP servers the clients have configured.

Options:
  --browser <name>    with several browsers running the extension, use this one (e.g. chromium,
                      chrome, edge, brave, vivaldi, firefox); default: the most recently active
  --no-extension      do not use a running browser's extension; use the default browser
  --no-browser        do not open a browser: print the URL, then paste the address the browser
                      was redirected to (http://127.0.0.1:…/callback?…) on stdin
  --timeout <seconds> give up waiting for the browser after this long (default 300, at most 600)
  --client <target>   write the login only to these clients (repeatable): ${CLIENT_NAMES.join(', ')}
                      ("bridge", the keychain entry "token" reads, is always written; --client bridge
                      alone writes only that). Default: every client with the URL configured.
                      Runs through the extension like any login, unless the browser's host is too
                      old to honour it: then in your default browser (with --browser: an error).
  --write-config      when a client needs settings in its config to refresh (Codex: the client id
                      and secret in config.toml, for Google and other confidential clients), add
                      them there; comments and order are kept; this process edits the file, also
                      after a login through the extension. Without it the summary shows the lines
                      to add.
  --json              print the result as JSON (with "via": "extension" or "system-browser")
  -h, --help          show this help

${exitCodesHelp({
  Ok: 'logged in with a refresh token',
  NotRefreshCapable: 'logged in without one (see the message)',
  Failed: 'failed',
  Usage: 'usage',
  Interrupted: 'interrupted (Ctrl-C)',
})}`;

export interface LoginCommandDeps {
  /** The bridge, the host context, the browser opener (login/login-flow.ts). */
  login: LoginDeps;
  /** Ctrl-C while the login waits; default SIGINT. */
  interrupts: InterruptSource;
}

export interface LoginOptions extends LoginCommandDeps {
  io: CommandIO;
  json: boolean;
  serverUrl: string;
  timeoutSeconds: number;
  use: 'auto' | 'system-browser' | 'paste';
  browser?: string;
  clients?: ClientName[];
  writeConfig: boolean;
}

const sigint: InterruptSource = (onInterrupt) => {
  process.once('SIGINT', onInterrupt);
  return () => process.removeListener('SIGINT', onInterrupt);
};

export function createLoginCommand(deps: Partial<LoginCommandDeps> = {}, runF: (options: LoginOptions) => Promise<number> = runLogin): Command {
  return defineCommand(
    {
      name: 'login',
      summary: 'Log in to an MCP server in the browser and store a refresh-capable credential',
      help: HELP,
      flags: {
        json: { type: 'boolean' },
        'no-browser': { type: 'boolean' },
        'no-extension': { type: 'boolean' },
        browser: { type: 'string' },
        timeout: { type: 'string' },
        client: { type: 'string', multiple: true },
        'write-config': { type: 'boolean' },
      },
      options: async ({ values, positionals }, io, json): Promise<LoginOptions> => {
        const { serverUrl } = await resolveServerArg(positionals, 'login');
        const timeoutSeconds = values.timeout === undefined ? 300 : Number(values.timeout);
        const maxSeconds = LIMITS.flowTtlMs / 1000;
        if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > maxSeconds) {
          throw new UsageError(`--timeout must be a number of seconds from 1 to ${maxSeconds} (a login expires after that)`);
        }
        for (const target of values.client ?? []) {
          if (!(TARGETS as readonly string[]).includes(target)) throw new UsageError(`unknown --client ${JSON.stringify(target)}: use ${TARGETS.join(', ')}`);
        }
        // Distinct names: the bridge refuses a list that names a client twice.
        const clients = values.client ? [...new Set(values.client.filter((c): c is ClientName => c !== 'bridge'))] : undefined;
        const local = Boolean(values['no-browser'] || values['no-extension']);
        if (local && values.browser) throw new UsageError('--browser picks a running browser\'s extension; it cannot be combined with --no-browser or --no-extension');
        return {
          login: defaultLoginDeps(),
          interrupts: sigint,
          ...deps,
          io,
          json,
          serverUrl,
          timeoutSeconds,
          use: values['no-browser'] ? 'paste' : local ? 'system-browser' : 'auto',
          ...(values.browser !== undefined ? { browser: values.browser } : {}),
          ...(clients ? { clients } : {}),
          writeConfig: Boolean(values['write-config']),
        };
      },
    },
    runF,
  );
}

export const loginCommand = createLoginCommand();

export async function runLogin(options: LoginOptions): Promise<number> {
  const { io, json, serverUrl } = options;
  try {
    const { result, via } = await runLoginFlow(
      {
        serverUrl,
        timeoutMs: options.timeoutSeconds * 1000,
        use: options.use,
        ...(options.browser !== undefined ? { browser: options.browser } : {}),
        ...(options.clients ? { clients: options.clients } : {}),
        ...(options.writeConfig ? { writeConfig: true } : {}),
        paste: { input: io.stdin, prompt: io.stderr },
        interrupts: options.interrupts,
        report: terminalReporter(io, serverUrl),
      },
      options.login,
    ).finally(() => {
      // readline leaves stdin referenced; a finished login must not wait for the pipe to close.
      if (options.use === 'paste') (io.stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    });
    if (json) printJson({ ok: true, via, ...result }, io.stdout);
    else printSummary(result, io);
    return result.refreshCapable ? ExitCode.Ok : ExitCode.NotRefreshCapable;
  } catch (err) {
    if (err instanceof LoginInterrupted) {
      reportError(err, json, io);
      return ExitCode.Interrupted;
    }
    if (err instanceof BrowserNotRunning) return reportError(new UsageError(err.message), json, io);
    return reportError(err instanceof ProtocolError || err instanceof UsageError ? err : new Error((err as Error).message), json, io);
  }
}

/** The login as a person at a terminal sees it: progress on stderr, where to sign in, why the extension was not used. */
function terminalReporter({ stderr }: CommandIO, serverUrl: string): LoginReporter {
  let progress: { stop(): void } | undefined;
  const show = (text?: string) => {
    progress?.stop();
    progress = text === undefined ? undefined : startProgress(text, stderr);
  };
  return {
    lookingUp: (browser) => show(`Looking up how ${serverUrl} wants you to log in${browser ? ` (through the extension in ${browser})` : ''}…`),
    fallback: (why) => stderr.write(`${why}\n`),
    rulesApplied: (rules) => {
      show();
      stderr.write(`Provider rules applied: ${terminalSafe(rules.join(', '))}\n`);
    },
    opened: (at) => {
      show();
      if (at.via === 'extension') {
        stderr.write(`The sign-in opened in a tab of ${at.browser}. If no tab appeared, open:\n  ${terminalSafe(at.authorizeUrl)}\n`);
      } else if (at.via === 'system-browser') {
        stderr.write(`Open this address to log in:\n  ${terminalSafe(at.link)}\n`);
      } else {
        stderr.write(`Open this address to log in:\n  ${terminalSafe(at.authorizeUrl)}\n`);
        stderr.write(`When the sign-in is done, the browser is sent to an address that starts with ${terminalSafe(at.redirectUri)} (the page may not load; that is expected).\n`);
      }
    },
    browserNotOpened: () => stderr.write('(Could not open a browser; open the address above yourself, in a browser on this machine, or use --no-browser.)\n'),
    waiting: () => show('Waiting for the login to finish in your browser…'),
    settled: () => show(),
  };
}

function printSummary(r: CompleteResult, { stdout, stderr }: CommandIO): void {
  const stored = r.stored.map((s) => `\n    ${s.target}${s.server ? ` (${s.server})` : ''}: ${s.location}`).join('');
  stdout.write(
    // Through the bridge the whole result came from the host.
    terminalSafe(
      `Logged in to ${r.serverUrl}${r.account ? ` as ${r.account}` : ''}\n  issuer: ${r.issuer}\n  stored in:${stored}\n  access token: ${formatExpiry(
        r.expiresAt,
      )}\n  refresh token: ${r.refreshCapable ? 'yes, you stay logged in' : 'NO'}\n`,
      true,
    ),
  );
  if (!r.stored.some((s) => s.target !== 'bridge')) {
    stdout.write(`  (no ${Object.values(clientLabels()).join(' or ')} server is configured with this URL, so only the bridge's own entry was written)\n`);
  }
  const labels: Record<string, string> = clientLabels();
  // A host newer than this CLI may name a client it does not know: shown by its id.
  for (const notice of r.notices ?? []) stderr.write(`${terminalSafe(labels[notice.target] ?? notice.target, true)}: ${terminalSafe(notice.message, true)}\n`);
  if (r.warning) stderr.write(`Warning: ${terminalSafe(r.warning.message, true)}\n`);
}

import { terminalSafe } from '../terminal-text';
import { BRIDGE_CAPABILITIES } from '../../shared/bridge-protocol';
import { ProtocolError } from '../../shared/errors';
import { CLIENT_NAMES, LIMITS, type CompleteResult } from '../../shared/protocol';
import { BridgeClient, chooseBridge } from '../bridge/bridge-client';
import type { ClientName } from '../clients/client-adapter';
import { applyClientAdvice } from '../clients/client-logins';
import { clientAdapters, clientLabels, describeClients } from '../clients/registry';
import { BridgeStore } from '../stores/bridge-store';
import { createHostContext } from '../host-context';
import type { Command } from './command';
import { openInSystemBrowser } from '../open-browser';
import { askForCallback } from './pasted-callback';
import { exitCodesHelp } from './exit-codes';
import { ExitCode, formatExpiry, printJson, reportError, startProgress, UsageError } from './output';
import { parseCommand } from './parse';
import { resolveServerArg } from './server-arg';

/** Where a login can be written: our keychain entry (always) and the local clients that have the server configured. */
const TARGETS = ['bridge', ...CLIENT_NAMES] as const;

export const loginCommand: Command = {
  name: 'login',
  summary: 'Log in to an MCP server in the browser and store a refresh-capable credential',
  help: `Usage: mcp-login-bridge login <server-url|name> [--browser <name>] [--no-extension] [--no-browser]
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
  })}`,
  async run(args) {
    const { values, positionals } = parseCommand(args, {
      json: { type: 'boolean' },
      'no-browser': { type: 'boolean' },
      'no-extension': { type: 'boolean' },
      browser: { type: 'string' },
      timeout: { type: 'string' },
      client: { type: 'string', multiple: true },
      'write-config': { type: 'boolean' },
    });
    if (values.help) return (process.stdout.write(`${this.help}\n`), ExitCode.Ok);
    const json = Boolean(values.json);
    try {
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
      const clientOptions = {
        ...(clients ? { clients } : {}),
        ...(values['write-config'] ? { writeConfig: true } : {}),
      };
      const local = Boolean(values['no-browser'] || values['no-extension']);
      if (local && values.browser) throw new UsageError('--browser picks a running browser\'s extension; it cannot be combined with --no-browser or --no-extension');

      let done: CompleteResult | undefined;
      let via: 'extension' | 'system-browser' = 'system-browser';
      if (!local) {
        const bridge = await connectToExtension(values.browser, Boolean(clients));
        if (bridge) {
          via = 'extension';
          done = await loginThroughExtension(bridge, serverUrl, timeoutSeconds, clients);
          // --write-config does not travel over the bridge (see BridgeLoginRequest): the browser's host
          // only said which settings a client's config lacks; this process adds them, from the keychain entry.
          if (values['write-config']) done = await applyClientAdvice(done, () => new BridgeStore().read(serverUrl), clientAdapters());
        }
      }
      done ??= await loginLocally(serverUrl, timeoutSeconds, Boolean(values['no-browser']), clientOptions);
      if (json) printJson({ ok: true, via, ...done });
      else printSummary(done);
      return done.refreshCapable ? ExitCode.Ok : ExitCode.NotRefreshCapable;
    } catch (err) {
      if (err instanceof Interrupted) {
        reportError(err, json);
        return ExitCode.Interrupted;
      }
      return reportError(err instanceof ProtocolError || err instanceof UsageError ? err : new Error((err as Error).message), json);
    }
  },
};

class Interrupted extends Error {}

/**
 * Runs `work` until it settles, the timeout (started by calling `startTimer`) runs out, or Ctrl-C.
 * `cancel` is called on the latter two, before the promise rejects.
 */
function bounded<T>(work: (startTimer: () => void) => Promise<T>, timeoutSeconds: number, cancel: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    // Whichever comes first ends the wait and leaves nothing behind that keeps the process alive.
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      process.removeListener('SIGINT', onSigint);
      finish();
    };
    const onSigint = () => {
      cancel();
      settle(() => reject(new Interrupted('login cancelled')));
    };
    process.once('SIGINT', onSigint);
    const startTimer = () => {
      if (settled) return;
      // Referenced on purpose: it is what keeps the process alive while the browser works.
      timer ??= setTimeout(() => {
        cancel();
        settle(() => reject(new Error(`no callback from the browser within ${timeoutSeconds} s; run login again`)));
      }, timeoutSeconds * 1000);
    };
    work(startTimer).then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}

/**
 * A running browser host that answers (and, when `needsClients`, can limit a login to the chosen
 * clients), or undefined: then the login runs in this process.
 */
async function connectToExtension(browser: string | undefined, needsClients: boolean): Promise<BridgeClient | undefined> {
  const { chosen, running } = await chooseBridge(browser);
  if (!chosen) {
    if (browser === undefined) return undefined;
    throw new UsageError(
      `no browser with the extension is running as "${browser}"` +
        (running.length ? `; running: ${[...new Set(running.map((b) => b.browser))].join(', ')}` : '; none is running (open the browser, or leave out --browser)'),
    );
  }
  let hello: Awaited<ReturnType<BridgeClient['hello']>>;
  let client: BridgeClient;
  try {
    client = await BridgeClient.connect(chosen);
    try {
      hello = await client.hello();
    } catch (err) {
      client.close();
      throw err;
    }
  } catch (err) {
    if (browser !== undefined) throw err;
    process.stderr.write(terminalSafe(`The extension in ${chosen.browser} did not answer (${(err as Error).message}); using your default browser instead.`) + '\n');
    return undefined;
  }
  // A host started before an upgrade keeps running the old version until the browser restarts it;
  // one that does not list the capability would ignore `clients` and write to every client.
  if (needsClients && !hello.capabilities.includes(BRIDGE_CAPABILITIES.loginClients)) {
    client.close();
    const why = `the host in ${terminalSafe(chosen.browser)} (mcp-login-bridge ${terminalSafe(hello.hostVersion)}) cannot limit a login to --client targets`;
    if (browser !== undefined) {
      throw new Error(`${why}; restart ${terminalSafe(chosen.browser)} so it starts the installed host, or leave out --browser to use your default browser`);
    }
    process.stderr.write(`The ${why}; using your default browser instead (restart the browser to update its host).\n`);
    return undefined;
  }
  return client;
}

async function loginThroughExtension(
  client: BridgeClient,
  serverUrl: string,
  timeoutSeconds: number,
  clients: readonly ClientName[] | undefined,
): Promise<CompleteResult> {
  const where = client.info.browser === 'unknown' ? 'your browser' : terminalSafe(client.info.browser);
  const discovering = startProgress(`Looking up how ${serverUrl} wants you to log in (through the extension in ${where})…`);
  let waiting: { stop(final?: string): void } | undefined;
  try {
    return await bounded(
      (startTimer) =>
        client.login(
          serverUrl,
          ({ flow }) => {
            discovering.stop();
            // Everything in `flow` came from the host: print it only once it cannot drive the terminal.
            if (flow.appliedRules.length) process.stderr.write(`Provider rules applied: ${terminalSafe(flow.appliedRules.join(', '))}\n`);
            process.stderr.write(`The sign-in opened in a tab of ${where}. If no tab appeared, open:\n  ${terminalSafe(flow.authorizeUrl)}\n`);
            waiting = startProgress('Waiting for the login to finish in your browser…');
            startTimer();
          },
          clients ? { clients } : {},
        ),
      timeoutSeconds,
      () => client.close(),
    );
  } finally {
    discovering.stop();
    waiting?.stop();
    client.close();
  }
}

/** The login in this process: the system browser (or a paste) and this process's loopback listener. */
async function loginLocally(
  serverUrl: string,
  timeoutSeconds: number,
  noBrowser: boolean,
  clientOptions: { clients?: ClientName[]; writeConfig?: boolean },
): Promise<CompleteResult> {
  const ctx = createHostContext();
  let pasted: ReturnType<typeof askForCallback> | undefined;
  try {
    const discovering = startProgress(`Looking up how ${serverUrl} wants you to log in…`);
    const begun = await ctx.login.begin(serverUrl, clientOptions).finally(() => discovering.stop());
    if (begun.appliedRules.length) process.stderr.write(`Provider rules applied: ${terminalSafe(begun.appliedRules.join(', '))}\n`);
    return await bounded(
      async (startTimer) => {
        const result = new Promise<CompleteResult>((resolve, reject) => {
          ctx.login.onceSettled(begun.state, (outcome) => (outcome.result ? resolve(outcome.result) : reject(outcome.error)));
          if (noBrowser) {
            process.stderr.write(`Open this address to log in:\n  ${terminalSafe(begun.authorizeUrl)}\n`);
            process.stderr.write(`When the sign-in is done, the browser is sent to an address that starts with ${terminalSafe(begun.redirectUri)} (the page may not load; that is expected).\n`);
            pasted = askForCallback(process.stdin, process.stderr, begun);
            // Its outcome arrives through onceSettled; a paste the login refuses is reported here.
            pasted.callback.then((text) => ctx.login.complete(text)).catch(reject);
          }
        });
        startTimer();
        if (noBrowser) return result;
        // The opener's command line is visible to every user of the machine: it gets a one-time
        // start link, not the authorize URL (launch-links.ts).
        const link = await ctx.listener.launchUrl(begun.state, begun.authorizeUrl);
        process.stderr.write(`Open this address to log in:\n  ${terminalSafe(link)}\n`);
        if (!(await openInSystemBrowser(link))) {
          process.stderr.write('(Could not open a browser; open the address above yourself, in a browser on this machine, or use --no-browser.)\n');
        }
        const waiting = startProgress('Waiting for the login to finish in your browser…');
        return result.finally(() => waiting.stop());
      },
      timeoutSeconds,
      () => ctx.login.cancel(begun.state),
    );
  } finally {
    pasted?.close();
    // readline leaves stdin referenced; a finished login must not wait for the pipe to close.
    if (noBrowser) process.stdin.destroy();
    await ctx.close();
  }
}

function printSummary(r: CompleteResult): void {
  const stored = r.stored.map((s) => `\n    ${s.target}${s.server ? ` (${s.server})` : ''}: ${s.location}`).join('');
  process.stdout.write(
    // Through the bridge the whole result came from the host.
    terminalSafe(
      `Logged in to ${r.serverUrl}${r.account ? ` as ${r.account}` : ''}\n  issuer: ${r.issuer}\n  stored in:${stored}\n  access token: ${formatExpiry(
        r.expiresAt,
      )}\n  refresh token: ${r.refreshCapable ? 'yes, you stay logged in' : 'NO'}\n`,
      true,
    ),
  );
  if (!r.stored.some((s) => s.target !== 'bridge')) {
    process.stdout.write(`  (no ${Object.values(clientLabels()).join(' or ')} server is configured with this URL, so only the bridge's own entry was written)\n`);
  }
  const labels: Record<string, string> = clientLabels();
  // A host newer than this CLI may name a client it does not know: shown by its id.
  for (const notice of r.notices ?? []) process.stderr.write(`${terminalSafe(labels[notice.target] ?? notice.target, true)}: ${terminalSafe(notice.message, true)}\n`);
  if (r.warning) process.stderr.write(`Warning: ${terminalSafe(r.warning.message, true)}\n`);
}

import { createInterface } from 'node:readline';
import { ProtocolError } from '../../shared/errors';
import { LIMITS, type CompleteResult } from '../../shared/protocol';
import { createHostContext } from '../host-context';
import type { Command } from './command';
import { openInSystemBrowser } from './open-browser';
import { ExitCode, formatExpiry, printJson, reportError, startProgress, UsageError } from './output';
import { parseCommand, serverUrlArg } from './parse';

export const loginCommand: Command = {
  name: 'login',
  summary: 'Log in to an MCP server in the browser and store a refresh-capable credential',
  help: `Usage: mcp-login-bridge login <server-url> [--no-browser] [--timeout <seconds>] [--json]

Discovers the server's authorization server, opens the login in your default browser with the
parameters the provider needs to issue a refresh token (e.g. Google's access_type=offline and
prompt=consent), receives the callback on a loopback port, and stores the credential in the OS
keychain. Prints a summary, never a token.

Options:
  --no-browser        do not open a browser: print the URL, then paste the address the browser
                      was redirected to (http://127.0.0.1:…/callback?…) on stdin
  --timeout <seconds> give up waiting for the browser after this long (default 300, at most 600)
  --json              print the result as JSON
  -h, --help          show this help

Exit codes: 0 logged in with a refresh token, 3 logged in without one (see the message),
1 failed, 2 usage, 130 interrupted (Ctrl-C).`,
  async run(args) {
    const { values, positionals } = parseCommand(args, {
      json: { type: 'boolean' },
      'no-browser': { type: 'boolean' },
      timeout: { type: 'string' },
    });
    if (values.help) return (process.stdout.write(`${this.help}\n`), ExitCode.Ok);
    const json = Boolean(values.json);
    const ctx = createHostContext();
    let pasted: ReturnType<typeof createInterface> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let onSigint: (() => void) | undefined;
    let interrupted = false;
    try {
      const serverUrl = serverUrlArg(positionals, 'login');
      const timeoutSeconds = values.timeout === undefined ? 300 : Number(values.timeout);
      const maxSeconds = LIMITS.flowTtlMs / 1000;
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > maxSeconds) {
        throw new UsageError(`--timeout must be a number of seconds from 1 to ${maxSeconds} (a login expires after that)`);
      }

      const discovering = startProgress(`Looking up how ${serverUrl} wants you to log in…`);
      const begun = await ctx.login.begin(serverUrl).finally(() => discovering.stop());
      if (begun.appliedRules.length) process.stderr.write(`Provider rules applied: ${begun.appliedRules.join(', ')}\n`);

      let cancelled = false;
      const result = new Promise<CompleteResult>((resolve, reject) => {
        ctx.listener.onResult = (state, outcome) => {
          if (state !== begun.state) return;
          if (outcome.result) resolve(outcome.result);
          else reject(outcome.error);
        };
        if (values['no-browser']) {
          pasted = createInterface({ input: process.stdin });
          pasted.on('line', (line) => {
            const text = line.trim();
            if (!text) return;
            pasted?.close();
            ctx.login.complete(text).then(resolve, reject);
          });
        }
        // Referenced on purpose: it is what keeps the process alive while the browser works.
        timer = setTimeout(() => reject(new Error(`no callback from the browser within ${timeoutSeconds} s; run login again`)), timeoutSeconds * 1000);
        onSigint = () => {
          cancelled = true;
          ctx.login.flows.cancel(begun.state);
          reject(new Error('login cancelled'));
        };
        process.once('SIGINT', onSigint);
      });

      process.stderr.write(`Open this address to log in:\n  ${begun.authorizeUrl}\n`);
      if (values['no-browser']) {
        process.stderr.write('Then paste the address your browser was sent to (it starts with http://127.0.0.1) here:\n');
      } else if (!(await openInSystemBrowser(begun.authorizeUrl))) {
        process.stderr.write('(Could not open a browser; open the address above yourself.)\n');
      }
      const waiting = startProgress('Waiting for the login to finish in your browser…');
      const done = await result.finally(() => waiting.stop()).catch((err) => {
        interrupted = cancelled;
        throw err;
      });
      if (json) printJson({ ok: true, ...done });
      else printSummary(done);
      return done.refreshCapable ? ExitCode.Ok : ExitCode.NotRefreshCapable;
    } catch (err) {
      const code = reportError(err instanceof ProtocolError || err instanceof UsageError ? err : new Error((err as Error).message), json);
      return interrupted ? ExitCode.Interrupted : code;
    } finally {
      clearTimeout(timer);
      if (onSigint) process.removeListener('SIGINT', onSigint);
      pasted?.close();
      // readline leaves stdin referenced; a finished login must not wait for the pipe to close.
      if (values['no-browser']) process.stdin.destroy();
      await ctx.close();
    }
  },
};

function printSummary(r: CompleteResult): void {
  process.stdout.write(
    `Logged in to ${r.serverUrl}\n  issuer: ${r.issuer}\n  stored in: ${r.stored.map((s) => s.location).join(', ')}\n  access token: ${formatExpiry(
      r.expiresAt,
    )}\n  refresh token: ${r.refreshCapable ? 'yes, you stay logged in' : 'NO'}\n`,
  );
  if (r.warning) process.stderr.write(`Warning: ${r.warning.message}\n`);
}

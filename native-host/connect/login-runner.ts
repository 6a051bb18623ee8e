/**
 * A login started by `connect` (none stored yet, or a step-up): the same routes `login` takes
 * (login/login-flow.ts), but quieter: it never reads stdin or writes stdout, both of which carry
 * MCP messages here. What the user must do goes to stderr, which MCP clients show in their server log.
 */
import { LoginTimedOut, defaultLoginDeps, runLoginFlow, type LoginDeps, type LoginReporter } from '../login/login-flow';
import { terminalSafe } from '../terminal-text';

export interface LoginRunOptions {
  /** Ask for exactly these scopes (a step-up); default: the discovered ones. */
  scopes?: string[];
  timeoutMs: number;
  log: (line: string) => void;
  /** Tests replace the bridge, host context and browser opener. */
  deps?: LoginDeps;
}

/** Lines for the MCP client's server log; no progress drawing, nothing on stdout. */
function logReporter(serverUrl: string, log: (line: string) => void): LoginReporter {
  return {
    fallback: log,
    opened: (at) => {
      if (at.via === 'extension') log(`The sign-in for ${serverUrl} opened in a tab of ${at.browser}. If no tab appeared, open:\n  ${terminalSafe(at.authorizeUrl)}`);
      else if (at.via === 'system-browser') log(`Open this address to log in to ${serverUrl}:\n  ${at.link}`);
    },
    browserNotOpened: () => log('(Could not open a browser; open the address above in a browser on this machine.)'),
  };
}

export async function runLogin(serverUrl: string, options: LoginRunOptions): Promise<void> {
  const what = options.scopes ? `with scopes "${options.scopes.join(' ')}"` : '';
  options.log(`Logging in to ${serverUrl} ${what}`.trimEnd());
  const { result } = await runLoginFlow(
    { serverUrl, timeoutMs: options.timeoutMs, use: 'auto', ...(options.scopes ? { scopes: options.scopes } : {}), report: logReporter(serverUrl, options.log) },
    options.deps ?? defaultLoginDeps(),
  ).catch((err: unknown) => {
    // The caller says which command to run; "run login again" is the CLI's advice.
    throw err instanceof LoginTimedOut ? new Error(`no login finished within ${Math.round(err.seconds)} s`) : err;
  });
  options.log(`Logged in to ${serverUrl}${result.refreshCapable ? '' : ' (no refresh token: this login ends when its access token expires)'}.`);
}

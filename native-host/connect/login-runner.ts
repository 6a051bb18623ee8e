/**
 * A login started by `connect` (none stored yet, or a step-up): the same two routes `login` takes
 * (cli/login.ts) — through the running browser's extension when one answers, else in the default
 * browser with this process's own loopback listener and a one-time start link — but quieter: it
 * never reads stdin or writes stdout, both of which carry MCP messages here. What the user must
 * do goes to stderr, which MCP clients show in their server log.
 */
import { BRIDGE_CAPABILITIES } from '../../shared/bridge-protocol';
import type { CompleteResult } from '../../shared/protocol';
import { BridgeClient, chooseBridge } from '../bridge/bridge-client';
import { openInSystemBrowser } from '../open-browser';
import { terminalSafe } from '../terminal-text';
import { createHostContext } from '../host-context';

export interface LoginRunOptions {
  /** Ask for exactly these scopes (a step-up); default: the discovered ones. */
  scopes?: string[];
  timeoutMs: number;
  log: (line: string) => void;
}

function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`no login finished within ${Math.round(ms / 1000)} s`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The extension's route, or undefined when no browser host answers (or it cannot ask for scopes). */
async function throughExtension(serverUrl: string, options: LoginRunOptions): Promise<CompleteResult | undefined> {
  const { chosen } = await chooseBridge(undefined);
  if (!chosen) return undefined;
  let client: BridgeClient;
  try {
    client = await BridgeClient.connect(chosen);
  } catch {
    return undefined;
  }
  try {
    const hello = await client.hello().catch(() => undefined);
    if (!hello) return undefined;
    // A host from before `login.scopes` would log in with the discovered scopes: no step-up at all.
    if (options.scopes && !hello.capabilities.includes(BRIDGE_CAPABILITIES.loginScopes)) {
      options.log(`The host in ${terminalSafe(chosen.browser)} is too old to ask for more scopes (restart the browser); using your default browser.`);
      return undefined;
    }
    const where = terminalSafe(chosen.browser);
    const login = client.login(
      serverUrl,
      ({ flow }) => options.log(`The sign-in for ${serverUrl} opened in a tab of ${where}. If no tab appeared, open:\n  ${terminalSafe(flow.authorizeUrl)}`),
      options.scopes ? { scopes: options.scopes } : {},
    );
    return await withTimeout(login, options.timeoutMs, () => client.close());
  } finally {
    client.close();
  }
}

async function throughSystemBrowser(serverUrl: string, options: LoginRunOptions): Promise<CompleteResult> {
  const ctx = createHostContext();
  try {
    const begun = await ctx.login.begin(serverUrl, options.scopes ? { scopes: options.scopes } : {});
    const result = new Promise<CompleteResult>((resolve, reject) => {
      ctx.login.onceSettled(begun.state, (outcome) => (outcome.result ? resolve(outcome.result) : reject(outcome.error)));
    });
    // Never the authorize URL on a command line (other users can read those): a start link.
    const link = await ctx.listener.launchUrl(begun.state, begun.authorizeUrl);
    options.log(`Open this address to log in to ${serverUrl}:\n  ${link}`);
    if (!(await openInSystemBrowser(link))) options.log('(Could not open a browser; open the address above in a browser on this machine.)');
    return await withTimeout(result, options.timeoutMs, () => ctx.login.cancel(begun.state));
  } finally {
    await ctx.close();
  }
}

export async function runLogin(serverUrl: string, options: LoginRunOptions): Promise<void> {
  const what = options.scopes ? `with scopes "${options.scopes.join(' ')}"` : '';
  options.log(`Logging in to ${serverUrl} ${what}`.trimEnd());
  const done = (await throughExtension(serverUrl, options)) ?? (await throughSystemBrowser(serverUrl, options));
  options.log(`Logged in to ${serverUrl}${done.refreshCapable ? '' : ' (no refresh token: this login ends when its access token expires)'}.`);
}

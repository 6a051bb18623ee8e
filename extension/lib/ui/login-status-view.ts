/**
 * The popup's "Your logins": the host's `status` turned into plain data (what to show, per
 * server and per store), then into DOM with textContent only. The view is a pure function so it
 * is tested without a DOM; the host's texts (reasons, URLs) are never parsed as HTML.
 */
import type { ClientLoginSummary, CredentialSummary, LogoutResult } from '../../../shared/protocol';
import { describeErrorCode, type DisplayError } from '../extension-errors';
import type { LoginStatusReply } from '../page-messages/messages';
import type { FormatTime } from './result-summary';

/** ok: logged in and renews itself; warning: logged in but will end; error: not logged in. */
export type LoginRowState = 'ok' | 'warning' | 'error';

export interface LoginRow {
  /** 'bridge' (our keychain store) or a client's name (shared/protocol.ts CLIENT_NAMES). */
  who: 'bridge' | ClientLoginSummary['client'];
  label: string;
  state: LoginRowState;
  loggedIn: boolean;
  refreshCapable: boolean;
  /** "Logged in, refreshes by itself", "Not logged in", … */
  summary: string;
  /** Expiry, issuer, where it is stored. */
  facts: string[];
  /** Why not logged in or not refresh-capable, when that is the case. */
  reason?: string;
}

export interface ServerLogins {
  serverUrl: string;
  /** Which account the bridge's login is for, when the provider said at login. */
  account?: string;
  /** The bridge holds an entry for this server (readable or not): "Log out" can remove it. */
  removable?: true;
  rows: LoginRow[];
}

export type LoginStatusView =
  | { state: 'ok'; servers: ServerLogins[]; notes: string[] }
  | { state: 'empty'; message: string; notes: string[] }
  | { state: 'error'; message: string; details: string[] }
  /** No host to ask: said once, in the popup's banner; this is only a placeholder. */
  | { state: 'unavailable'; message: string };

/** Errors that mean "there is no host to ask", worded like the host status line above. */
const HOST_MISSING = new Set(['HostNotInstalled', 'HostForbidden', 'HostExited', 'HostDisconnected']);
/** The host's protocol error for a request type it does not know: a host older than `status`. */
const UNKNOWN_TYPE = 102;

/** For a host that sends no `label` (older than the client adapters): the clients it knew. */
const KNOWN_LABELS: Partial<Record<ClientLoginSummary['client'], string>> = { codex: 'Codex', 'claude-code': 'Claude Code' };

function expiryFact(expiresAt: number | null, now: number, formatTime: FormatTime): string {
  if (expiresAt === null) return 'access token: no expiry given';
  return `access token ${expiresAt <= now ? 'expired' : 'expires'} ${formatTime(expiresAt)}`;
}

function bridgeRow(c: CredentialSummary | undefined, damaged: string | undefined, now: number, formatTime: FormatTime): LoginRow {
  const base = { who: 'bridge' as const, label: 'This bridge (keychain)' };
  if (!c && damaged) return { ...base, state: 'error', loggedIn: false, refreshCapable: false, summary: 'Unreadable: log in again', facts: [], reason: damaged };
  if (!c) return { ...base, state: 'error', loggedIn: false, refreshCapable: false, summary: 'Not logged in', facts: [] };
  if (c.loginNeeded) {
    // `token` refuses it whatever its expiry says.
    return { ...base, state: 'error', loggedIn: false, refreshCapable: false, summary: 'Log in again', facts: [`issuer ${c.issuer}`], reason: c.reason ?? 'the provider refused the refresh token' };
  }
  // Without a refresh token, an expired access token is the end of the login.
  const loggedIn = c.refreshCapable || c.expiresAt === null || c.expiresAt > now;
  const facts = [expiryFact(c.expiresAt, now, formatTime), `issuer ${c.issuer}`];
  if (c.refreshCapable) return { ...base, state: 'ok', loggedIn, refreshCapable: true, summary: 'Logged in, refreshes by itself', facts };
  return {
    ...base,
    state: loggedIn ? 'warning' : 'error',
    loggedIn,
    refreshCapable: false,
    summary: loggedIn ? 'Logged in, does NOT refresh' : 'Expired: log in again',
    facts,
    // An older host says only "not refresh-capable": none was issued, or it was revoked.
    reason: c.reason ?? 'no usable refresh token (none was issued, or the server rejected it): log in again',
  };
}

function clientRow(c: ClientLoginSummary, now: number, formatTime: FormatTime): LoginRow {
  const label = `${c.label ?? KNOWN_LABELS[c.client] ?? c.client} “${c.server}”`;
  const common = { who: c.client, label, loggedIn: c.loggedIn, refreshCapable: c.refreshCapable };
  if (!c.loggedIn) {
    // "not logged in" as the reason would only repeat the summary.
    const reason = c.reason && c.reason !== 'not logged in' ? c.reason : undefined;
    return { ...common, state: 'error', summary: 'Not logged in', facts: [], ...(reason ? { reason } : {}) };
  }
  const facts = [expiryFact(c.expiresAt, now, formatTime)];
  if (c.issuer) facts.push(`issuer ${c.issuer}`);
  if (c.store) facts.push(`stored in ${c.store}`);
  if (c.refreshCapable) return { ...common, state: 'ok', summary: 'Logged in, refreshes by itself', facts };
  return { ...common, state: 'warning', summary: 'Logged in, does NOT refresh', facts, reason: c.reason ?? 'the host did not say why' };
}

function errorView(error: DisplayError): LoginStatusView {
  // The banner above says what to do; here only where the logins will be.
  if (HOST_MISSING.has(error.name)) return { state: 'unavailable', message: 'Your logins appear here once the native host answers.' };
  if (error.source === 'host' && error.code === UNKNOWN_TYPE) {
    return {
      state: 'error',
      message: 'This native host is too old to list your logins. Update mcp-login-bridge, or run `mcp-login-bridge status` in a terminal.',
      details: [describeErrorCode(error)],
    };
  }
  return { state: 'error', message: `Could not read your logins: ${error.message}`, details: [describeErrorCode(error)] };
}

export function buildLoginStatusView(reply: LoginStatusReply, now: number, formatTime: FormatTime): LoginStatusView {
  if (!reply.ok) return errorView(reply.error);
  const { credentials, clients, pendingFlows } = reply.status;
  const notes: string[] = [];
  if (!clients) notes.push('The logins of your MCP clients could not be read; run `mcp-login-bridge status` in a terminal to see why.');
  // A client config the host could not read hides that client's servers: say which, as the host worded it.
  for (const problem of reply.status.clientProblems ?? []) notes.push(problem.message);
  // This browser's own count when the background gave one: a sign-in whose tab was closed is over
  // for the user, though the host keeps its flow until it expires.
  const waiting = reply.waitingHere ?? pendingFlows;
  if (waiting > 0) notes.push(`${waiting} sign-in${waiting === 1 ? '' : 's'} waiting in a tab.`);

  // Servers in the order the host listed them: ours first, then the ones only a client has. Keyed
  // by the exact URL, as the host and the clients match them ("…/mcp" and "…/mcp/" are two servers).
  const servers = new Map<string, { serverUrl: string; credential?: CredentialSummary; damaged?: string; clients: ClientLoginSummary[] }>();
  const entry = (url: string) => {
    let e = servers.get(url);
    if (!e) servers.set(url, (e = { serverUrl: url, clients: [] }));
    return e;
  };
  for (const d of reply.status.damaged ?? []) entry(d.serverUrl).damaged = d.error;
  for (const c of credentials) entry(c.serverUrl).credential = c;
  for (const c of clients ?? []) entry(c.serverUrl).clients.push(c);

  if (!servers.size) {
    return { state: 'empty', message: 'No logins yet, and no MCP server configured in your MCP clients.', notes };
  }
  return {
    state: 'ok',
    servers: [...servers.values()].map((s) => ({
      serverUrl: s.serverUrl,
      ...(s.credential?.account ? { account: s.credential.account } : {}),
      ...(s.credential || s.damaged ? { removable: true as const } : {}),
      rows: [bridgeRow(s.credential, s.damaged, now, formatTime), ...s.clients.map((c) => clientRow(c, now, formatTime))],
    })),
    notes,
  };
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** What a server's buttons in "Your logins" do; the popup supplies them. */
export interface LoginActions {
  /** Starts a new login for the server (as Authorize does). */
  logInAgain(serverUrl: string): void;
  /** Copies the line a client runs to get headers (Claude Code's headersHelper). */
  copyHelper(serverUrl: string, button: HTMLButtonElement): void;
  /** Asks the host to log out of the server (after the user confirmed); the popup then shows the outcome. */
  logOut(serverUrl: string): Promise<void>;
}

/** What the popup says after a logout, from the host's result: what was removed, and what became of the tokens at the provider. */
export function logoutMessage(result: LogoutResult): string {
  const head = `Logged out of ${result.serverUrl}.`;
  const r = result.revocation;
  if (!r) return head;
  switch (r.status) {
    case 'revoked':
      return r.notRevocable.length
        ? `${head} Revoked at the provider; it cannot revoke the ${r.notRevocable.join(' or the ').replace(/_/g, ' ')}, which stays valid until it expires.`
        : `${head} Revoked at the provider.`;
    case 'notRevocable':
      return `${head} The provider cannot revoke the ${r.notRevocable.join(' or the ').replace(/_/g, ' ')}; it stays valid until it expires.`;
    case 'unsupported':
      return `${head} The provider offers no revocation: the tokens stay valid until they expire.`;
    case 'skipped':
      return `${head} Not revoked at the provider: ${r.reason}.`;
    case 'failed':
      return `${head} Revoking at the provider failed (${r.reason}): the tokens stay valid until they expire.`;
  }
}

/** Replaces a server's buttons with "Log out of …?" and Log out / Cancel; Cancel puts the buttons back. */
function confirmLogout(row: HTMLElement, serverUrl: string, actions: LoginActions): void {
  const buttons = [...row.childNodes];
  const question = el('p', 'login-confirm-text', `Log out of ${serverUrl}? The login is removed from this bridge and revoked at the provider.`);
  question.id = `logout-question-${Math.random().toString(36).slice(2)}`;
  const yes = actionButton('Log out', `Confirm: log out of ${serverUrl}`, () => {
    yes.disabled = true;
    cancel.disabled = true;
    yes.textContent = 'Logging out…';
    void actions.logOut(serverUrl);
  });
  yes.classList.replace('secondary', 'danger');
  yes.setAttribute('aria-describedby', question.id);
  const cancel = actionButton('Cancel', `Cancel logging out of ${serverUrl}`, () => {
    row.classList.remove('confirming');
    row.replaceChildren(...buttons);
    (buttons.find((b) => (b as HTMLElement).dataset?.action === 'logout') as HTMLElement | undefined)?.focus();
  });
  row.classList.add('confirming');
  row.replaceChildren(question, yes, cancel);
  yes.focus();
}

/** The headers helper line for a server, as the README's Claude Code example writes it. */
export function helperLine(serverUrl: string): string {
  return `mcp-login-bridge token ${serverUrl} --headers`;
}

function actionButton(text: string, label: string, onClick: (button: HTMLButtonElement) => void): HTMLButtonElement {
  const button = el('button', 'secondary small', text);
  button.type = 'button';
  button.setAttribute('aria-label', label);
  button.addEventListener('click', () => onClick(button));
  return button;
}

/** Renders a view into the section's list element; the state also goes on it for styles and tests. */
export function renderLoginStatus(element: HTMLElement, view: LoginStatusView | 'loading', actions?: LoginActions): void {
  if (view === 'loading') {
    element.dataset.state = 'loading';
    element.replaceChildren(el('p', 'hint', 'Checking your logins…'));
    return;
  }
  element.dataset.state = view.state;
  const nodes: Node[] = [];
  if (view.state === 'error') {
    nodes.push(el('p', 'logins-message', view.message));
    for (const d of view.details) nodes.push(el('p', 'hint', d));
  } else if (view.state === 'empty' || view.state === 'unavailable') {
    nodes.push(el('p', view.state === 'empty' ? 'logins-message' : 'hint', view.message));
  } else {
    for (const server of view.servers) {
      const block = el('div', 'login-server');
      block.dataset.serverUrl = server.serverUrl;
      const list = el('ul', 'login-rows');
      for (const row of server.rows) {
        const item = el('li', 'login-row');
        Object.assign(item.dataset, { who: row.who, state: row.state, loggedIn: String(row.loggedIn), refreshCapable: String(row.refreshCapable) });
        const head = el('div', 'login-head');
        head.append(el('span', 'login-who', `${row.label}: `), el('span', 'login-summary', row.summary));
        item.append(head);
        if (row.facts.length) item.append(el('div', 'login-facts', row.facts.join(' · ')));
        if (row.reason) item.append(el('div', 'login-reason', `Why: ${row.reason}`));
        list.append(item);
      }
      block.append(el('p', 'login-server-url', server.serverUrl));
      if (server.account) block.append(el('p', 'login-account', `Account: ${server.account}`));
      block.append(list);
      if (actions) {
        const row = el('div', 'login-actions');
        const bridge = server.rows.find((r) => r.who === 'bridge');
        row.append(
          actionButton(bridge?.loggedIn ? 'Log in again' : 'Log in', `${bridge?.loggedIn ? 'Log in again to' : 'Log in to'} ${server.serverUrl}`, () => actions.logInAgain(server.serverUrl)),
        );
        // The helper reads our keychain entry: only worth copying once there is one.
        if (bridge?.loggedIn) {
          row.append(actionButton('Copy helper command', `Copy the token helper command for ${server.serverUrl}`, (b) => actions.copyHelper(server.serverUrl, b)));
        }
        if (server.removable) {
          const logOut = actionButton('Log out', `Log out of ${server.serverUrl}`, () => confirmLogout(row, server.serverUrl, actions));
          logOut.dataset.action = 'logout';
          row.append(logOut);
        }
        block.append(row);
      }
      nodes.push(block);
    }
  }
  if (view.state === 'ok' || view.state === 'empty') for (const n of view.notes) nodes.push(el('p', 'hint', n));
  element.replaceChildren(...nodes);
}

/**
 * Renders a result summary and the host status into the popup and the callback page, identically.
 * Text only (textContent): host messages and server URLs are never parsed as HTML.
 */
import type { HostStatus } from '../page-messages/messages';
import type { ResultAction, ResultSummary } from './result-summary';
import type { DisplayError } from '../extension-errors';

export type ResultView = ResultSummary['state'] | 'idle';

/** The options page's address that opens its form filled in with a Google-like rule for `origin`. */
export function addRuleUrl(origin: string): string {
  return `options.html?${new URLSearchParams({ addRuleFor: origin })}`;
}

export function renderResult(element: HTMLElement, view: { state: ResultView; message: string; details?: string[]; action?: ResultAction }): void {
  element.dataset.state = view.state;
  const message = document.createElement('p');
  message.className = 'result-message';
  message.textContent = view.message;
  const nodes: Node[] = [message];
  if (view.details?.length) {
    const list = document.createElement('ul');
    list.className = 'result-details';
    for (const line of view.details) {
      const item = document.createElement('li');
      item.textContent = line;
      list.append(item);
    }
    nodes.push(list);
  }
  if (view.action?.kind === 'addRule') {
    // A link, not a script: the options page reads the origin from its own address and only fills
    // in the form; nothing is saved until the user clicks Add rule there.
    const link = document.createElement('a');
    link.className = 'button-link';
    link.href = addRuleUrl(view.action.origin);
    link.target = '_blank';
    link.textContent = 'Add this rule';
    link.setAttribute('aria-label', `Add a refresh-token rule for ${view.action.origin}`);
    const row = document.createElement('p');
    row.className = 'result-actions';
    row.append(link);
    nodes.push(row);
  }
  element.replaceChildren(...nodes);
}

export function renderError(element: HTMLElement, error: unknown): void {
  renderResult(element, { state: 'error', message: error instanceof Error ? error.message : String(error) });
}

export function renderHostStatus(element: HTMLElement, status: HostStatus | 'checking'): void {
  if (status === 'checking') {
    element.dataset.state = 'checking';
    element.textContent = 'Checking the native host…';
  } else if (status.connected) {
    element.dataset.state = 'connected';
    element.textContent = `Native host connected · version ${status.hostVersion}`;
    element.title = `mcp-login-bridge ${status.hostVersion}, protocol ${status.protocolVersion}`;
  } else {
    element.dataset.state = 'disconnected';
    element.textContent = NOT_INSTALLED.has(status.error.name) ? 'Native host not installed' : 'Native host not answering';
  }
}

/** Host errors that the install command fixes (missing, or registered for another extension id). */
const NOT_INSTALLED = new Set(['HostNotInstalled', 'HostForbidden']);

/** What the first-run banner says for a host that cannot be reached: one place, shown once. */
export function hostBannerView(error: DisplayError, installCommand: string): { text: string; command: string; next: string } {
  if (error.name === 'HostForbidden') {
    return { text: 'The native host is installed, but for another copy of this extension. Register it again for this one:', command: installCommand, next: 'Run it in a terminal, then reopen this popup.' };
  }
  if (error.name === 'HostNotInstalled') {
    return { text: 'To log in and keep your tokens, the extension needs its helper program on this computer. Register it for this browser:', command: installCommand, next: 'Run it in a terminal, then reopen this popup.' };
  }
  return { text: `${error.message} To see what is wrong, run:`, command: 'npx mcp-login-bridge doctor', next: 'It says what to fix. Then reopen this popup.' };
}

/**
 * Renders a result summary and the host status into the popup and the callback page, identically.
 * Text only (textContent): host messages and server URLs are never parsed as HTML.
 */
import type { HostStatus } from './messages';
import type { ResultSummary } from './result-summary';
import { describeErrorCode, type DisplayError } from './extension-errors';

export type ResultView = ResultSummary['state'] | 'idle';

export function renderResult(element: HTMLElement, view: { state: ResultView; message: string; details?: string[] }): void {
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
  element.replaceChildren(...nodes);
}

export function renderError(element: HTMLElement, error: unknown): void {
  renderResult(element, { state: 'error', message: error instanceof Error ? error.message : String(error) });
}

export function renderHostStatus(element: HTMLElement, status: HostStatus | 'checking'): void {
  if (status === 'checking') {
    element.dataset.state = 'checking';
    element.textContent = 'Native host: checking…';
  } else if (status.connected) {
    element.dataset.state = 'connected';
    element.textContent = `Native host: connected (mcp-login-bridge ${status.hostVersion}, protocol ${status.protocolVersion})`;
  } else {
    element.dataset.state = 'disconnected';
    element.textContent = describeHostUnavailable(status.error);
  }
}

/** The one wording for a host that cannot be reached, wherever the popup says so. */
export function describeHostUnavailable(error: DisplayError): string {
  return `Native host: not available. ${error.message} (${describeErrorCode(error)})`;
}

/**
 * Routes validated messages from the extension's pages to the login flows and the host client.
 * Anything else (other senders, unknown shapes) is ignored without a reply.
 */
import { toDisplayError } from '../extension-errors';
import type { LoginFlows } from '../authorize/login-flows';
import type { LogoutResult, StatusResult } from '../../../shared/protocol';
import { isFromOwnPage, parseInternalMessage, type HostStatus, type LoginStatusReply, type LogoutReply, type Replies, type SenderLike } from './messages';
import type { ResultSummary } from '../ui/result-summary';

export interface MessageRouterDeps {
  flows: Pick<LoginFlows, 'authorize' | 'handleCallback'> & Partial<Pick<LoginFlows, 'waitingCount'>>;
  host: {
    hello(): Promise<{ hostVersion: string; protocolVersion: number; configRules?: unknown }>;
    /** The validated `status` result (NativeHostClient.status). */
    status(): Promise<StatusResult>;
    /** The validated `logout` result (NativeHostClient.logout). */
    logout(serverUrl: string): Promise<LogoutResult>;
  };
  /** The provider rules of the host's config file, as `hello` sent them (validated by the receiver). */
  onConfigRules?: (rules: unknown) => void;
  results: { list(): Promise<ResultSummary[]> };
  runtimeId: string;
  /** `browser.runtime.getURL('/')`. */
  extensionOrigin: string;
  log?: (message: string) => void;
}

export function createMessageRouter(deps: MessageRouterDeps) {
  async function checkHost(): Promise<HostStatus> {
    try {
      const hello = await deps.host.hello();
      deps.onConfigRules?.(hello.configRules ?? []);
      return { connected: true, hostVersion: hello.hostVersion, protocolVersion: hello.protocolVersion };
    } catch (error) {
      return { connected: false, error: toDisplayError(error) };
    }
  }

  // Like checkHost: a missing or failing host is something to show, not a failed message.
  async function getStatus(): Promise<LoginStatusReply> {
    try {
      const status = await deps.host.status();
      const waitingHere = deps.flows.waitingCount?.();
      return { ok: true, status, ...(waitingHere === undefined ? {} : { waitingHere }) };
    } catch (error) {
      return { ok: false, error: toDisplayError(error) };
    }
  }

  async function logout(serverUrl: string): Promise<LogoutReply> {
    try {
      return { ok: true, result: await deps.host.logout(serverUrl) };
    } catch (error) {
      return { ok: false, error: toDisplayError(error) };
    }
  }

  /** Returns the reply, or undefined for a message that is not ours to answer. */
  return function route(message: unknown, sender: SenderLike): Promise<Replies[keyof Replies]> | undefined {
    if (!isFromOwnPage(sender, deps.runtimeId, deps.extensionOrigin)) return undefined;
    const m = parseInternalMessage(message);
    if (!m) {
      deps.log?.('ignored a malformed internal message');
      return undefined;
    }
    switch (m.kind) {
      case 'getResults':
        return deps.results.list().then((results) => ({ results }));
      case 'checkHost':
        return checkHost().then((host) => ({ host }));
      case 'getStatus':
        return getStatus().then((logins) => ({ logins }));
      case 'logout':
        return logout(m.serverUrl).then((reply) => ({ logout: reply }));
      case 'authorize':
        // A popup opened as a tab names its window; a real popup has no tab: the current window.
        return deps.flows.authorize(m.serverUrl, sender.tab?.windowId).then((summary) => ({ summary }));
      case 'callback':
        // Where the page runs decides whether the callback may finish a flow (see handleCallback).
        return deps.flows.handleCallback(m.query, { tabId: sender.tab?.id, frameId: sender.frameId }).then((summary) => ({ summary }));
    }
  };
}

import { describe, expect, it, vi } from 'vitest';
import { isFromOwnPage, parseInternalMessage } from '../../../extension/lib/page-messages/messages';
import { createMessageRouter } from '../../../extension/lib/page-messages/message-router';
import { ExtensionError, HostError } from '../../../extension/lib/extension-errors';
import type { LogoutResult, StatusResult } from '../../../shared/protocol';
import type { ResultSummary } from '../../../extension/lib/ui/result-summary';

const ID = 'cknjhbicbpaggfnhoaonbipdmdhholpc';
const ORIGIN = `chrome-extension://${ID}/`;
const popup = { id: ID, url: `${ORIGIN}popup.html` };

describe('parseInternalMessage', () => {
  it('accepts the five messages', () => {
    expect(parseInternalMessage({ kind: 'getResults' })).toEqual({ kind: 'getResults' });
    expect(parseInternalMessage({ kind: 'checkHost', extra: 1 })).toEqual({ kind: 'checkHost' });
    expect(parseInternalMessage({ kind: 'getStatus' })).toEqual({ kind: 'getStatus' });
    expect(parseInternalMessage({ kind: 'authorize', serverUrl: ' https://a/mcp ' })).toEqual({ kind: 'authorize', serverUrl: 'https://a/mcp' });
    expect(parseInternalMessage({ kind: 'callback', query: 'code=x&state=y' })).toEqual({ kind: 'callback', query: 'code=x&state=y' });
  });

  it('refuses anything else', () => {
    for (const bad of [
      null,
      'authorize',
      [],
      { kind: 'begin' },
      { kind: 'authorize' },
      { kind: 'authorize', serverUrl: 5 },
      { kind: 'callback', query: { code: 'x' } },
      { kind: 'callback', query: 'x'.repeat(9000) },
    ]) {
      expect(parseInternalMessage(bad), JSON.stringify(bad)?.slice(0, 40)).toBeNull();
    }
  });
});

describe('isFromOwnPage', () => {
  it('accepts only our own extension pages', () => {
    expect(isFromOwnPage(popup, ID, ORIGIN)).toBe(true);
    expect(isFromOwnPage({ id: 'otherextensionid', url: `chrome-extension://otherextensionid/x.html` }, ID, ORIGIN)).toBe(false);
    // Our id but a web page URL: a content script.
    expect(isFromOwnPage({ id: ID, url: 'https://evil.example/' }, ID, ORIGIN)).toBe(false);
    expect(isFromOwnPage({ id: ID }, ID, ORIGIN)).toBe(false);
    expect(isFromOwnPage({ url: `${ORIGIN}popup.html` }, ID, ORIGIN)).toBe(false);
  });
});

describe('message router', () => {
  const summary = { flowId: 'f', state: 'pending' } as ResultSummary;
  const status: StatusResult = { credentials: [], clients: [], pendingFlows: 0 };
  function router(
    hello = vi.fn(async () => ({ hostVersion: '0.1.0', protocolVersion: 1 })),
    hostStatus = vi.fn(async (): Promise<StatusResult> => status),
    hostLogout = vi.fn(async (serverUrl: string): Promise<LogoutResult> => ({ serverUrl, removed: [{ target: 'bridge', location: 'keychain' }], revocation: { status: 'unsupported' } })),
  ) {
    const flows = { authorize: vi.fn(async () => summary), handleCallback: vi.fn(async () => summary) };
    const results = { list: vi.fn(async () => [summary]) };
    return {
      route: createMessageRouter({ flows, host: { hello, status: hostStatus, logout: hostLogout }, results, runtimeId: ID, extensionOrigin: ORIGIN }),
      hostLogout,
      flows,
      results,
    };
  }

  it('routes each message to its handler', async () => {
    const { route, flows } = router();
    await expect(route({ kind: 'getResults' }, popup)).resolves.toEqual({ results: [summary] });
    await expect(route({ kind: 'checkHost' }, popup)).resolves.toEqual({ host: { connected: true, hostVersion: '0.1.0', protocolVersion: 1 } });
    await expect(route({ kind: 'authorize', serverUrl: 'https://a/mcp' }, { ...popup, tab: { id: 5, windowId: 9 } })).resolves.toEqual({ summary });
    expect(flows.authorize).toHaveBeenCalledWith('https://a/mcp', 9);
    await expect(route({ kind: 'callback', query: 'state=s' }, popup)).resolves.toEqual({ summary });
    expect(flows.handleCallback).toHaveBeenCalledWith('state=s', { tabId: undefined, frameId: undefined });
    // The callback page's tab and frame go along: handleCallback checks they are the flow's.
    await route({ kind: 'callback', query: 'state=t' }, { id: ID, url: `${ORIGIN}callback.html`, tab: { id: 42, windowId: 9 }, frameId: 0 });
    expect(flows.handleCallback).toHaveBeenLastCalledWith('state=t', { tabId: 42, frameId: 0 });
    await expect(route({ kind: 'getStatus' }, popup)).resolves.toEqual({ logins: { ok: true, status } });
  });

  it('routes a logout to the host and reports its result, or its error to show', async () => {
    const { route, hostLogout } = router();
    await expect(route({ kind: 'logout', serverUrl: 'https://a/mcp' }, popup)).resolves.toEqual({
      logout: { ok: true, result: { serverUrl: 'https://a/mcp', removed: [{ target: 'bridge', location: 'keychain' }], revocation: { status: 'unsupported' } } },
    });
    expect(hostLogout).toHaveBeenCalledWith('https://a/mcp');
    // Not from our page, no URL, or an oversized one: ignored, the host never asked.
    expect(route({ kind: 'logout', serverUrl: 'https://a/mcp' }, { id: ID, url: 'https://evil.example/' })).toBeUndefined();
    expect(route({ kind: 'logout' }, popup)).toBeUndefined();
    expect(route({ kind: 'logout', serverUrl: `https://a/${'x'.repeat(9000)}` }, popup)).toBeUndefined();
    expect(hostLogout).toHaveBeenCalledTimes(1);
    const failing = router(undefined, undefined, vi.fn(async () => Promise.reject(new HostError(404, 'NotLoggedIn', 'not logged in to https://a/mcp'))));
    await expect(failing.route({ kind: 'logout', serverUrl: 'https://a/mcp' }, popup)).resolves.toEqual({
      logout: { ok: false, error: { source: 'host', code: 404, name: 'NotLoggedIn', message: 'not logged in to https://a/mcp' } },
    });
  });

  it("reports a failing status as the popup's error to show, not a failure", async () => {
    const { route } = router(undefined, vi.fn(async () => Promise.reject(new HostError(102, 'UnknownType', 'unknown message type'))));
    await expect(route({ kind: 'getStatus' }, popup)).resolves.toEqual({
      logins: { ok: false, error: { source: 'host', code: 102, name: 'UnknownType', message: 'unknown message type' } },
    });
  });

  it('reports an unreachable host as a status, not a failure', async () => {
    const { route } = router(vi.fn(async () => Promise.reject(new ExtensionError('HostNotInstalled', 'run mcp-login-bridge install'))));
    await expect(route({ kind: 'checkHost' }, popup)).resolves.toEqual({
      host: { connected: false, error: { source: 'extension', code: null, name: 'HostNotInstalled', message: 'run mcp-login-bridge install' } },
    });
  });

  it('ignores other senders and malformed messages', () => {
    const { route, flows } = router();
    expect(route({ kind: 'authorize', serverUrl: 'https://a/mcp' }, { id: 'other', url: 'chrome-extension://other/' })).toBeUndefined();
    expect(route({ kind: 'callback', query: 'state=s' }, { id: ID, url: 'http://127.0.0.1:5000/' })).toBeUndefined();
    expect(route({ kind: 'nope' }, popup)).toBeUndefined();
    expect(flows.authorize).not.toHaveBeenCalled();
    expect(flows.handleCallback).not.toHaveBeenCalled();
  });
});

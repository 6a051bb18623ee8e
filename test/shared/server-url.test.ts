/**
 * One server-URL check, one verdict: the same table of URLs goes to the shared check and to each
 * place a server URL comes in (the popup, the CLI's argument, the native and bridge messages, and
 * discovery), and each must take or refuse it alike, each in its own kind of error.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { parseBridgeRequest } from '../../shared/bridge-protocol';
import { parseRequest } from '../../shared/request-parsers';
import { MAX_URL_LENGTH, checkServerUrl, ServerUrlError, type ServerUrlProblem } from '../../shared/server-url';
import { checkServerUrl as checkPopupUrl } from '../../extension/lib/authorize/server-url';
import { ExtensionError } from '../../extension/lib/extension-errors';
import { serverUrlArg } from '../../native-host/cli/parse';
import { serverUrlFromArgs } from '../../native-host/cli/server-arg-limit';
import { UsageError } from '../../native-host/cli/output';
import { discoverServer } from '../../native-host/oauth/discovery';

const atLimit = (base: string) => `${base}${'a'.repeat(MAX_URL_LENGTH - base.length)}`;

/** [URL, undefined when taken, else the kind of refusal] */
const TABLE: [string, ServerUrlProblem | undefined][] = [
  ['https://mcp.example/mcp', undefined],
  ['https://mcp.example:8443/a/b?x=1', undefined],
  ['HTTPS://MCP.EXAMPLE/mcp', undefined],
  ['http://127.0.0.1:4000/mcp', undefined],
  ['http://127.0.0.2:4000/mcp', undefined],
  ['http://localhost:4000/mcp', undefined],
  ['http://[::1]:4000/mcp', undefined],
  [atLimit('https://mcp.example/'), undefined],
  ['http://mcp.example/mcp', 'insecure-http'],
  ['http://localhost.evil.example/mcp', 'insecure-http'],
  ['http://10.0.0.1/mcp', 'insecure-http'],
  ['https://user:pass@mcp.example/mcp', 'credentials'],
  ['https://user@mcp.example/mcp', 'credentials'],
  ['https://:pass@mcp.example/mcp', 'credentials'],
  ['http://a:b@127.0.0.1:4000/mcp', 'credentials'],
  ['https://mcp.example/mcp#section', 'fragment'],
  ['https://mcp.example/mcp#', 'fragment'],
  ['ftp://mcp.example/mcp', 'not-http'],
  ['javascript:alert(1)', 'not-http'],
  ['file:///etc/passwd', 'not-http'],
  ['ws://127.0.0.1:4000/mcp', 'not-http'],
  ['mcp.example', 'not-a-url'],
  ['not a url', 'not-a-url'],
  ['/mcp', 'not-a-url'],
  [`${atLimit('https://mcp.example/')}a`, 'too-long'],
  [`https://mcp.example/${'a'.repeat(100_000)}`, 'too-long'],
  ['https://mcp.example/a|b', 'uri-chars'],
  ['https://mcp.example/a^b', 'uri-chars'],
];

function kindOf(url: string): ServerUrlProblem | undefined {
  try {
    checkServerUrl(url);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ServerUrlError);
    return (err as ServerUrlError).kind;
  }
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err;
  }
}

/** What the protocol answers for each kind: the host's network policy is InsecureEndpoint, as discovery always named it. */
const WIRE_CODE = (kind: ServerUrlProblem) => (kind === 'insecure-http' || kind === 'uri-chars' ? ErrorCode.InsecureEndpoint : ErrorCode.InvalidField);

const label = (url: string) => (url.length > 60 ? `${url.slice(0, 40)}… (${url.length} characters)` : url);

describe('the one server-URL check', () => {
  it.each(TABLE.map(([url, kind]) => [label(url), url, kind] as const))('%s → %s', (_label, url, kind) => {
    expect(kindOf(url)).toBe(kind);
  });

  it('never quotes a refused URL: it may hold a password or be huge', () => {
    for (const [url, kind] of TABLE) {
      if (!kind) continue;
      const message = (thrown(() => checkServerUrl(url)) as Error).message;
      expect(message).not.toMatch(/:pass@|user:|a:b/);
      expect(message).not.toContain('aaaaaaaaaa');
      expect(message.length).toBeLessThan(300);
    }
  });
});

describe('every place a server URL comes in gives the same verdict', () => {
  it.each(TABLE.map(([url, kind]) => [label(url), url, kind] as const))('%s', async (_label, url, kind) => {
    // The popup (a typed URL, or one the host relayed).
    const popup = thrown(() => checkPopupUrl(url));
    if (kind) expect(popup).toMatchObject({ errorName: 'InvalidServerUrl' });
    else expect(popup).toBeUndefined();
    if (popup) expect(popup).toBeInstanceOf(ExtensionError);

    // The CLI's argument (login, logout, connect: serverUrlArg; token: with the length rule first).
    for (const cli of [() => serverUrlArg([url], 'login'), () => serverUrlFromArgs([url], 'token')]) {
      const usage = thrown(cli);
      if (kind) expect(usage).toBeInstanceOf(UsageError);
      else expect(usage).toBeUndefined();
    }

    // The wire: native `begin` and `logout`, the bridge's `login`.
    for (const message of [
      () => parseRequest({ id: '1', type: 'begin', serverUrl: url }),
      () => parseRequest({ id: '1', type: 'logout', serverUrl: url }),
      () => parseBridgeRequest({ id: '1', type: 'login', serverUrl: url }),
    ]) {
      const refusal = thrown(message);
      if (kind) expect(refusal).toMatchObject({ code: WIRE_CODE(kind) });
      else expect(refusal).toBeUndefined();
    }

    // Discovery, for a caller that skipped all of those: the same code, before any request (a
    // taken URL would start one, so only refusals are asked of it here).
    if (kind) {
      const refusal = await discoverServer(url).catch((err: unknown) => err);
      expect(refusal).toBeInstanceOf(ProtocolError);
      expect(refusal).toMatchObject({ code: WIRE_CODE(kind) });
    }
  });
});

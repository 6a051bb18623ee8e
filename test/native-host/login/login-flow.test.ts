/**
 * The login flow library (native-host/login/) in process: the route it takes and what it reports,
 * against the real Google-like provider and MCP server fixtures on loopback. The "browser" follows
 * redirects (redirect-follower.ts); the running browser's bridge is replaced through LoginDeps.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_CAPABILITIES } from '../../../shared/bridge-protocol';
import type { BridgeClient } from '../../../native-host/bridge/bridge-client';
import type { FoundBridge } from '../../../native-host/bridge/runtime-files';
import { createHostContext, type HostContext } from '../../../native-host/host-context';
import {
  LoginInterrupted,
  LoginTimedOut,
  runLoginFlow,
  type LoginDeps,
  type LoginReporter,
  type LoginRequest,
  type SignInOpened,
} from '../../../native-host/login/login-flow';
import { BrowserNotRunning } from '../../../native-host/login/through-extension';
import type { CredentialTarget, StoredCredential } from '../../../native-host/stores/credential';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { CookieJar, followToCallback } from '../../helpers/redirect-follower';

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;

let configDir: string;
const configBefore = process.env.MCP_LOGIN_BRIDGE_CONFIG;

beforeAll(async () => {
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
  configDir = await mkdtemp(join(tmpdir(), 'mlb-login-flow-'));
  const config = {
    rules: [{ id: 'fixture-google', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
    clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
  };
  await writeFile(join(configDir, 'config.json'), JSON.stringify(config));
  // The host config the host context reads, as `login` reads it: from the environment.
  process.env.MCP_LOGIN_BRIDGE_CONFIG = join(configDir, 'config.json');
});
afterAll(async () => {
  if (configBefore === undefined) delete process.env.MCP_LOGIN_BRIDGE_CONFIG;
  else process.env.MCP_LOGIN_BRIDGE_CONFIG = configBefore;
  await rm(configDir, { recursive: true, force: true });
  await mcp?.close();
  await provider?.close();
});

/** The host context `login` builds (the fixture's provider rule and client in the host config), with a store in memory. */
function hostContext(stored: Map<string, StoredCredential>): () => HostContext {
  const store: CredentialTarget = {
    name: 'bridge',
    describe: () => 'memory',
    read: async (url) => stored.get(url),
    write: async (c) => void stored.set(c.serverUrl, c),
    delete: async (url) => stored.delete(url),
    list: async () => [...stored.values()],
  };
  return () => createHostContext({ store, clients: false });
}

/** A browser that opens the start link, signs in, and lands on this process's listener with the link's cookie. */
async function browserOpens(link: string): Promise<boolean> {
  const jar = new CookieJar();
  const { callback } = await followToCallback(link, `${new URL(link).origin}/callback`, jar);
  void fetch(callback, { headers: { cookie: jar.header(callback) } }).then((r) => r.body?.cancel());
  return true;
}

function recorder(): { report: LoginReporter; events: string[]; opened: SignInOpened[] } {
  const events: string[] = [];
  const opened: SignInOpened[] = [];
  return {
    events,
    opened,
    report: {
      lookingUp: (browser) => events.push(`lookingUp${browser ? `:${browser}` : ''}`),
      fallback: (why) => events.push(`fallback:${why}`),
      rulesApplied: (rules) => events.push(`rules:${rules.join(',')}`),
      opened: (at) => (opened.push(at), events.push(`opened:${at.via}`)),
      browserNotOpened: () => events.push('browserNotOpened'),
      waiting: () => events.push('waiting'),
      settled: () => events.push('settled'),
    },
  };
}

function deps(over: Partial<LoginDeps> & { stored?: Map<string, StoredCredential> } = {}): LoginDeps {
  const stored = over.stored ?? new Map();
  return {
    chooseBridge: async () => ({ running: [] }),
    connectBridge: async () => {
      throw new Error('no bridge in this test');
    },
    hostContext: hostContext(stored),
    openBrowser: browserOpens,
    store: () => hostContext(stored)().store,
    adapters: () => [],
    ...over,
  };
}

const request = (over: Partial<LoginRequest> = {}): LoginRequest => ({ serverUrl: mcp.url, timeoutMs: 20_000, use: 'auto', ...over });
const chromium: FoundBridge = { browser: 'chromium', pid: 1, port: 9, secret: 'x', file: '/nonexistent' } as unknown as FoundBridge;

describe('login flow: in this process', () => {
  it('no browser running the extension: a start link for the default browser, and the login stored', async () => {
    const stored = new Map<string, StoredCredential>();
    const { report, events, opened } = recorder();
    const outcome = await runLoginFlow(request({ report }), deps({ stored }));
    expect(outcome.via).toBe('system-browser');
    expect(outcome.result).toMatchObject({ serverUrl: mcp.url, refreshCapable: true });
    expect(stored.get(mcp.url)?.refreshToken).toBeTruthy();
    expect(events).toEqual(['lookingUp', 'rules:fixture-google', 'opened:system-browser', 'waiting', 'settled']);
    // A one-time link to this process's listener, never the authorize URL on a command line.
    expect(opened[0]).toMatchObject({ via: 'system-browser', link: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//) });
    expect((opened[0] as { link: string }).link).not.toContain(provider.issuer);
  });

  it('a browser that cannot be opened is reported, and the login still waits for the link to be opened', async () => {
    const { report, events } = recorder();
    let link = '';
    const outcome = runLoginFlow(request({ report }), deps({ openBrowser: async (l) => ((link = l), false) }));
    while (!events.includes('waiting')) await new Promise((r) => setTimeout(r, 10));
    expect(events.slice(-2)).toEqual(['browserNotOpened', 'waiting']);
    await browserOpens(link);
    expect((await outcome).result.refreshCapable).toBe(true);
  });

  it('use "paste": the authorize URL to open, then the address the sign-in ended on, read from the input', async () => {
    const input = new PassThrough();
    let prompt = '';
    const { report, opened } = recorder();
    const outcome = runLoginFlow(
      request({ use: 'paste', report: { ...report, opened: (at) => {
        report.opened!(at);
        if (at.via !== 'paste') return;
        void followToCallback(at.authorizeUrl, at.redirectUri).then(({ callback }) => input.write(`not an address\n${callback.href}\n`));
      } }, paste: { input, prompt: { write: (t: string) => (prompt += t) } } }),
      deps({ openBrowser: async () => expect.unreachable('no browser is opened for a paste') }),
    );
    expect((await outcome).result.refreshCapable).toBe(true);
    expect(opened[0]).toMatchObject({ via: 'paste', authorizeUrl: expect.stringContaining(provider.issuer), redirectUri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/) });
    expect(prompt).toContain("That is not an address; copy the whole address from the browser's address bar");
  });

  it('nobody signs in: LoginTimedOut once the time is up, counted from the opening', async () => {
    const { report, events } = recorder();
    const error = await runLoginFlow(request({ report, timeoutMs: 500 }), deps({ openBrowser: async () => true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoginTimedOut);
    expect((error as Error).message).toBe('no callback from the browser within 0.5 s; run login again');
    expect(events.at(-1)).toBe('settled');
  });

  it('an interrupt while waiting cancels the login: LoginInterrupted, and the interrupt is unsubscribed', async () => {
    let subscribed = 0;
    let fire: (() => void) | undefined;
    const interrupts = (onInterrupt: () => void) => {
      subscribed += 1;
      fire = onInterrupt;
      return () => (subscribed -= 1);
    };
    const outcome = runLoginFlow(request({ interrupts }), deps({ openBrowser: async () => (setTimeout(() => fire!(), 10), true) }));
    await expect(outcome).rejects.toBeInstanceOf(LoginInterrupted);
    expect(subscribed).toBe(0);
  });
});

describe('login flow: through a running browser', () => {
  it('a browser host that does not answer: said, and the login goes on in the default browser', async () => {
    const { report, events } = recorder();
    const outcome = await runLoginFlow(
      request({ report }),
      deps({ chooseBridge: async () => ({ chosen: chromium, running: [chromium] }), connectBridge: async () => Promise.reject(new Error('connection refused')) }),
    );
    expect(outcome.via).toBe('system-browser');
    expect(events[0]).toBe('fallback:The extension in chromium did not answer (connection refused); using your default browser instead.');
  });

  it('the browser named by the person: not running, or not answering, is an error instead of a fallback', async () => {
    const firefox = { ...chromium, browser: 'firefox' } as FoundBridge;
    const missing = await runLoginFlow(request({ browser: 'chromium' }), deps({ chooseBridge: async () => ({ running: [firefox] }) })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BrowserNotRunning);
    expect((missing as Error).message).toBe('no browser with the extension is running as "chromium"; running: firefox');
    const silent = runLoginFlow(
      request({ browser: 'chromium' }),
      deps({ chooseBridge: async () => ({ chosen: chromium, running: [chromium] }), connectBridge: async () => Promise.reject(new Error('connection refused')) }),
    );
    await expect(silent).rejects.toThrow('connection refused');
  });

  it('a host too old for what the login asks: not used (said why), or an error when the person named it', async () => {
    let closed = 0;
    const oldHost = async () =>
      ({
        info: chromium,
        hello: async () => ({ hostVersion: '0.0.9', capabilities: [BRIDGE_CAPABILITIES.loginClients] }),
        close: () => void (closed += 1),
      }) as unknown as BridgeClient;
    const { report, events } = recorder();
    const outcome = await runLoginFlow(request({ report, scopes: ['openid', 'email'] }), deps({ chooseBridge: async () => ({ chosen: chromium, running: [chromium] }), connectBridge: oldHost }));
    expect(outcome.via).toBe('system-browser');
    expect(events[0]).toBe('fallback:Not using the extension: the host in chromium (mcp-login-bridge 0.0.9) cannot ask for more scopes; using your default browser instead (restart the browser to update its host).');
    expect(closed).toBe(1);
    const named = runLoginFlow(request({ browser: 'chromium', scopes: ['openid'] }), deps({ chooseBridge: async () => ({ chosen: chromium, running: [chromium] }), connectBridge: oldHost }));
    await expect(named).rejects.toThrow('the host in chromium (mcp-login-bridge 0.0.9) cannot ask for more scopes; restart chromium so it starts the installed host');
  });

  it('a host that answers: the login runs in its browser, the flow it opened is reported', async () => {
    const result = { serverUrl: mcp.url, issuer: provider.issuer, refreshCapable: true, expiresAt: null, stored: [] };
    const host = async () =>
      ({
        info: chromium,
        hello: async () => ({ hostVersion: '9.9.9', capabilities: Object.values(BRIDGE_CAPABILITIES) }),
        login: async (_url: string, onOpening: (e: { flow: { appliedRules: string[]; authorizeUrl: string } }) => void, fields: unknown) => {
          expect(fields).toEqual({ clients: ['codex'] });
          onOpening({ flow: { appliedRules: ['google'], authorizeUrl: 'https://accounts.example/authorize?x=1' } });
          return result;
        },
        close: () => undefined,
      }) as unknown as BridgeClient;
    const { report, events, opened } = recorder();
    const outcome = await runLoginFlow(request({ report, clients: ['codex'] }), deps({ chooseBridge: async () => ({ chosen: chromium, running: [chromium] }), connectBridge: host }));
    expect(outcome).toEqual({ via: 'extension', result });
    expect(events).toEqual(['lookingUp:chromium', 'rules:google', 'opened:extension', 'waiting', 'settled']);
    expect(opened).toEqual([{ via: 'extension', browser: 'chromium', authorizeUrl: 'https://accounts.example/authorize?x=1' }]);
  });
});

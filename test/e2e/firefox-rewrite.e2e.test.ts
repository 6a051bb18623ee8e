/**
 * The Firefox MV3 build in headless Firefox ESR: web-ext loads it as a temporary add-on, the
 * add-on starts the real host through Firefox's native messaging (manifest from `install
 * --browser firefox`), takes the host config's rule from `hello`, and rewrites a native-app
 * login's authorize request. Playwright cannot drive stock Firefox, so the test navigates over
 * WebDriver BiDi, after the add-on is installed (web-ext's --start-url would race the install).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../fixtures/google-like-provider';
import { runCli } from './login-world';

const FIREFOX = '/usr/bin/firefox-esr';
const WEB_EXT = fileURLToPath(new URL('../../node_modules/.bin/web-ext', import.meta.url));
const FIREFOX_BUILD = fileURLToPath(new URL('../../.output/firefox-mv3', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The two WebDriver BiDi commands this test needs. */
class Bidi {
  #next = 0;
  constructor(private readonly ws: WebSocket) {}
  static async connect(port: number): Promise<Bidi> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/session`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const bidi = new Bidi(ws);
    await bidi.send('session.new', { capabilities: {} });
    return bidi;
  }
  send(method: string, params: unknown): Promise<any> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      const onMessage = (data: WebSocket.RawData) => {
        const message = JSON.parse(String(data));
        if (message.id !== id) return;
        this.ws.off('message', onMessage);
        if (message.type === 'error') reject(new Error(`${method}: ${message.error} ${message.message}`));
        else resolve(message.result);
      };
      this.ws.on('message', onMessage);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
  close(): void {
    this.ws.close();
  }
}

let provider: GoogleLikeProvider;
let home: string;
let firefox: ChildProcess | undefined;
let output = '';
let bidi: Bidi;

beforeAll(async () => {
  for (const needed of [FIREFOX, WEB_EXT, join(FIREFOX_BUILD, 'manifest.json')]) {
    if (!existsSync(needed)) throw new Error(`${needed} is missing (.ci/run installs firefox-esr; npm run build makes the add-on)`);
  }
  provider = await startGoogleLikeProvider();
  home = mkdtempSync(join(tmpdir(), 'mlb-firefox-'));
  const config = join(home, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ rules: [{ id: 'fixture-google', name: 'Fixture provider', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }] }),
  );
  const env = { HOME: home, MCP_LOGIN_BRIDGE_CONFIG: config, MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(home, 'runtime') };
  const installed = await runCli(['install', '--browser', 'firefox'], env);
  expect(installed.code, installed.stderr).toBe(0);
  const addon = join(home, 'addon');
  cpSync(FIREFOX_BUILD, addon, { recursive: true });

  const port = await freePort();
  firefox = spawn(
    WEB_EXT,
    ['run', '--source-dir', addon, '--target', 'firefox-desktop', '--firefox', FIREFOX, '--arg=--headless', `--arg=--remote-debugging-port=${port}`, '--no-reload', '--no-input', '--verbose'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const collect = (d: Buffer) => (output = (output + d).slice(-20_000));
  firefox.stdout!.on('data', collect);
  firefox.stderr!.on('data', collect);
  await until(() => /Installed .* as a temporary add-on/.test(output), 'web-ext to install the add-on', 60_000);
  bidi = await Bidi.connect(port);
}, 120_000);

afterAll(async () => {
  bidi?.close();
  // web-ext and Firefox run in their own process group: end them all.
  if (firefox?.pid) {
    try {
      process.kill(-firefox.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  await provider?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Opens the URL in a new tab, as a tool's `open URL` does, and returns what the provider received. */
async function open(url: URL, clientId: string): Promise<URLSearchParams> {
  const { context: tab } = await bidi.send('browsingContext.create', { type: 'tab' });
  await bidi.send('browsingContext.navigate', { context: tab, url: url.href, wait: 'none' });
  let seen: URL | undefined;
  await until(() => Boolean((seen = provider.stats.authorizeRequests.find((u) => u.searchParams.get('client_id') === clientId))), `the provider to see ${clientId}`, 20_000);
  return seen!.searchParams;
}

function authorizeUrl(clientId: string, redirectUri: string): URL {
  const url = new URL('/auth', provider.issuer);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    state: 's',
    code_challenge: 'a'.repeat(43),
    code_challenge_method: 'S256',
    scope: 'openid',
  }).toString();
  return url;
}

describe('Firefox ESR, MV3 add-on', () => {
  it("adds the host config's provider parameters to a native app's authorize request", async () => {
    // The rule arrives from the host over native messaging; give the first hello a moment.
    let params = await open(authorizeUrl('tool-ff-1', 'http://127.0.0.1:9/callback'), 'tool-ff-1');
    if (params.get('access_type') !== 'offline') {
      // The add-on may still have been connecting to the host: one more login by the same tool.
      await new Promise((r) => setTimeout(r, 2000));
      params = await open(authorizeUrl('tool-ff-2', 'http://127.0.0.1:9/callback'), 'tool-ff-2');
    }
    expect(params.get('access_type'), output.slice(-2000)).toBe('offline');
    expect(params.get('prompt')).toBe('consent');
  });

  it('leaves a website sign-in (non-loopback redirect_uri) untouched', async () => {
    const url = authorizeUrl('website-ff', 'https://www.site.test/callback');
    const params = await open(url, 'website-ff');
    expect(params.toString()).toBe(url.searchParams.toString());
  });
});

/**
 * The Firefox MV3 build in headless Firefox ESR: web-ext loads it as a temporary add-on, the
 * add-on starts the real host through Firefox's native messaging (manifest from `install
 * --browser firefox`), takes the host config's rule from `hello`, and rewrites a native-app
 * login's authorize request. Playwright cannot drive stock Firefox, so the test navigates over
 * WebDriver BiDi, after the add-on is installed (web-ext's --start-url would race the install).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchFirefoxWithAddon, until, type FirefoxHarness } from '../fixtures/firefox-harness';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../fixtures/google-like-provider';
import { runCli } from './login-world';

let provider: GoogleLikeProvider;
let home: string;
let firefox: FirefoxHarness | undefined;

beforeAll(async () => {
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
  firefox = await launchFirefoxWithAddon({ env });
}, 120_000);

afterAll(async () => {
  await firefox?.close();
  await provider?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Opens the URL in a new tab, as a tool's `open URL` does, and returns what the provider received. */
async function open(url: URL, clientId: string): Promise<URLSearchParams> {
  await firefox!.bidi.openTab(url.href);
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
    // The rule arrives from the host over native messaging: Firefox starts the host, `hello`
    // carries the config's rules, the add-on arms them. Wait for its standing rule (read from an
    // extension page), however long a cold machine takes, then open the tool's login once.
    const options = await firefox!.bidi.openTab(`${firefox!.extensionOrigin}/options.html`);
    const port = `:${new URL(provider.issuer).port}/`;
    await until(
      async () =>
        (await firefox!.bidi
          .evaluate(options, `browser.declarativeNetRequest.getSessionRules().then((rules) => rules.some((r) => r.id >= 10000 && r.id < 11000 && (r.condition.regexFilter || '').includes(${JSON.stringify(port)})))`)
          .catch(() => false)) === true,
      "the host config's rule to be armed",
      30_000,
    );
    const params = await open(authorizeUrl('tool-ff-1', 'http://127.0.0.1:9/callback'), 'tool-ff-1');
    expect(params.get('access_type'), firefox!.output().slice(-2000)).toBe('offline');
    expect(params.get('prompt')).toBe('consent');
  });

  it('leaves a website sign-in (non-loopback redirect_uri) untouched', async () => {
    const url = authorizeUrl('website-ff', 'https://www.site.test/callback');
    const params = await open(url, 'website-ff');
    expect(params.toString()).toBe(url.searchParams.toString());
  });
});

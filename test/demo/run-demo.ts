/**
 * `npm start`: the whole product on this machine, narrated.
 *
 * With no argument it runs on the built-in demo world (a Google-like provider and an MCP server on
 * loopback, a private keyring, Chromium with the extension): authorize in the popup, show the
 * stored credential redacted, expire it, refresh it through the CLI, call an MCP tool.
 * With a server URL (`npm start -- https://example.com/mcp`) it runs a real login for that server
 * in your default browser instead (`mcp-login-bridge login`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { redactCredential } from '../../shared/redact';
import { BridgeStore } from '../../native-host/stores/bridge-store';
import { CHROMIUM_PATH } from '../fixtures/browser-harness';
import { keyringToolsAvailable } from '../fixtures/keyring-harness';
import { CLI_BIN } from '../helpers/native-client';
import { authorizeInPopup, startLoginWorld } from '../e2e/login-world';

const DEBIAN_PACKAGES = ['chromium', 'gnome-keyring', 'libsecret-tools', 'dbus', 'dbus-x11'];

let stepNumber = 0;
const started = performance.now();
function step(text: string): void {
  stepNumber += 1;
  process.stdout.write(`\n[${stepNumber}] ${text}\n`);
}
function detail(text: string): void {
  process.stdout.write(`    ${text}\n`);
}
function elapsed(): string {
  return `${((performance.now() - started) / 1000).toFixed(1)} s`;
}

/** Installs the Debian packages the demo needs when it can (root with apt), else says exactly what to run. */
function ensurePrerequisites(): void {
  const tools = keyringToolsAvailable();
  const missing = [...(existsSync(CHROMIUM_PATH) ? [] : ['chromium']), ...(tools.ok ? [] : tools.missing)];
  if (!missing.length) return;
  const command = `apt-get install -y ${DEBIAN_PACKAGES.join(' ')}`;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    process.stderr.write(`The demo needs ${missing.join(', ')}. Install them with:\n  sudo apt-get update && sudo ${command}\nthen run npm start again.\n`);
    process.exit(1);
  }
  step(`Installing what the demo needs (missing: ${missing.join(', ')})`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-qq', ...DEBIAN_PACKAGES], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

async function runDemoWorld(): Promise<void> {
  ensurePrerequisites();
  step('Starting the demo world');
  const world = await startLoginWorld({ googleRule: true, log: detail });
  const restoreEnv = world.keyring.applyToProcess();
  try {
    step(`Authorizing ${world.mcp.url} from the extension popup`);
    const login = await authorizeInPopup(world.browser, world.mcp.url);
    detail(`popup: [${login.state}] ${login.text.replace(/\s+/g, ' ')}`);
    if (login.state !== 'success') throw new Error('the login did not succeed');
    const sent = world.provider.stats.authorizeRequests.at(-1)!.searchParams;
    detail(`the provider received access_type=${sent.get('access_type')} prompt=${sent.get('prompt')} (added by the provider rule)`);
    detail(`click to stored credential: ${Math.round(login.elapsedMs)} ms`);

    step('The credential in the OS keychain (Secret Service, service "mcp-login-bridge"), redacted');
    const store = new BridgeStore();
    const stored = await store.read(world.mcp.url);
    if (!stored) throw new Error('nothing was stored');
    for (const [k, v] of Object.entries(redactCredential(stored))) detail(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);

    step('Forcing the access token to expire, then asking the CLI for a token');
    await store.write({ ...stored, expiresAt: Date.now() - 1000 });
    detail(`$ mcp-login-bridge token ${world.mcp.url}`);
    const before = world.provider.stats.refreshRequests;
    const token = await world.cli(['token', world.mcp.url]);
    if (token.code !== 0) throw new Error(`token failed: ${token.stderr}`);
    const accessToken = token.stdout.trim();
    detail(`refreshed at the provider (${world.provider.stats.refreshRequests - before} refresh request); new token: <redacted, ${accessToken.length} chars>`);
    const after = await store.read(world.mcp.url);
    detail(`refresh token kept: ${after?.refreshToken === stored.refreshToken ? 'yes (Google sends none on refresh)' : 'rotated'}`);

    step('Calling the MCP tool "whoami" with the refreshed token');
    const client = new Client({ name: 'mcp-login-bridge-demo', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(world.mcp.url), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
    const result = await client.callTool({ name: 'whoami', arguments: {} });
    await client.close();
    detail(`tool answered: ${(result.content as { text: string }[]).map((c) => c.text).join('')}`);

    step('mcp-login-bridge status');
    const status = await world.cli(['status']);
    for (const line of status.stdout.trimEnd().split('\n')) detail(line);

    process.stdout.write(`\nDemo finished in ${elapsed()}: logged in once, refreshed without a browser, called a tool.\n`);
  } finally {
    restoreEnv();
    await world.close();
  }
}

function runRealLogin(serverUrl: string): void {
  step(`Logging in to ${serverUrl} in your default browser`);
  detail(`$ mcp-login-bridge login ${serverUrl}`);
  const result = spawnSync(process.execPath, [CLI_BIN, 'login', serverUrl], { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}

const serverUrl = process.argv[2];
if (serverUrl === '--help' || serverUrl === '-h') {
  process.stdout.write('Usage: npm start [-- <mcp-server-url>]\n  no URL: the built-in demo; a URL: a real login in your browser.\n');
} else if (serverUrl) {
  runRealLogin(serverUrl);
} else {
  runDemoWorld().catch((err) => {
    process.stderr.write(`\nDemo failed after ${elapsed()}: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}

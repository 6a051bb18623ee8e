/**
 * `mcp-login-bridge login` as a user runs it, without the extension: the real CLI process, the
 * real keyring, the Google-like provider. The test plays the browser with the redirect follower,
 * then either pastes the callback (--no-browser) or delivers it to the CLI's loopback listener.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { CLI_BIN, assertHostBuilt } from '../../helpers/native-client';
import { followToCallback } from '../../helpers/redirect-follower';

let keyring: KeyringHarness;
let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
  const dir = await mkdtemp(join(tmpdir(), 'mlb-cli-'));
  const config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
      rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }],
    }),
  );
  // No xdg-open on PATH: the CLI must say so and keep waiting on its listener. A runtime folder of
  // its own: no browser host of another test may take the login over its bridge.
  env = { ...process.env, ...keyring.env, MCP_LOGIN_BRIDGE_CONFIG: config, PATH: dir, MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(dir, 'runtime') };
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  await keyring?.stop();
});

interface Run {
  child: ReturnType<typeof spawn>;
  authorizeUrl: Promise<string>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function runLogin(args: string[]): Run {
  const child = spawn(process.execPath, [CLI_BIN, 'login', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let found: (url: string) => void;
  const authorizeUrl = new Promise<string>((r) => (found = r));
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => {
    stderr += d;
    const m = /Open this address to log in:\n\s+(\S+)/.exec(stderr);
    if (m) found(m[1]!);
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, authorizeUrl, done };
}

function redirectUriOf(authorizeUrl: string): string {
  return new URL(authorizeUrl).searchParams.get('redirect_uri')!;
}

describe('login (CLI, no extension)', () => {
  it('--no-browser: takes the pasted callback URL and exits 0 with a refresh-capable login', async () => {
    const run = runLogin([mcp.url, '--no-browser', '--json']);
    const url = await run.authorizeUrl;
    expect(new URL(url).searchParams.get('access_type')).toBe('offline');
    const { callback } = await followToCallback(url, redirectUriOf(url));
    // The pipe stays open: the CLI must exit on its own once the login is done.
    run.child.stdin!.write(`${callback.href}\n`);
    const { code, stdout, stderr } = await run.done;
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ ok: true, serverUrl: mcp.url, refreshCapable: true });
    expect(stdout).not.toMatch(/access_?token|refresh_?token/i);
  });

  it('without a browser to open: completes when the browser reaches its loopback listener', async () => {
    const run = runLogin([mcp.url]);
    const url = await run.authorizeUrl;
    const { callback } = await followToCallback(url, redirectUriOf(url));
    const page = await fetch(callback);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Logged in');
    const { code, stdout, stderr } = await run.done;
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('Could not open a browser');
    expect(stdout).toContain(`Logged in to ${mcp.url}`);
    expect(stdout).toContain('refresh token: yes');
  });

  it('gives up after --timeout with a clear message and exit 1', async () => {
    const run = runLogin([mcp.url, '--timeout', '1', '--no-browser']);
    await run.authorizeUrl;
    const { code, stderr } = await run.done;
    expect(code).toBe(1);
    expect(stderr).toMatch(/no callback from the browser within 1 s/);
  });

  it('Ctrl-C cancels the login and exits 130', async () => {
    const run = runLogin([mcp.url, '--no-browser']);
    await run.authorizeUrl;
    run.child.kill('SIGINT');
    const { code, stderr } = await run.done;
    expect(code).toBe(130);
    expect(stderr).toMatch(/cancelled/);
  });

  it('refuses a bad --timeout and a missing URL as usage errors (exit 2)', async () => {
    expect((await runLogin([mcp.url, '--timeout', '9999']).done).code).toBe(2);
    expect((await runLogin([]).done).code).toBe(2);
  });
});

/**
 * DESIGN.md 3.3 end to end: a separate `mcp-login-bridge login` process, while Chromium runs the
 * extension, logs in through the extension's tab (the host Chromium started takes the request on
 * its bridge, the extension opens and captures the login, the host stores it and reports back).
 * Once the browser is gone, the same command opens the system browser (a plain Chromium started by
 * `xdg-open`) on a one-time start link and completes through its own loopback listener.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../native-host/stores/bridge-store';
import { CLI_BIN } from '../helpers/native-client';
import { CHROMIUM_PATH } from '../fixtures/browser-harness';
import { startLoginWorld, type LoginWorld } from './login-world';

let world: LoginWorld | undefined;
let restoreEnv: (() => void) | undefined;
let cleanupOpener: (() => Promise<void>) | undefined;
afterEach(async () => {
  restoreEnv?.();
  restoreEnv = undefined;
  await cleanupOpener?.();
  cleanupOpener = undefined;
  await world?.close();
  world = undefined;
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const bridgeFiles = async (dir: string) => (existsSync(dir) ? (await readdir(dir)).filter((n) => /^host-\d+\.json$/.test(n)) : []);

function login(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [CLI_BIN, 'login', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let found: (url: string) => void;
  const authorizeUrl = new Promise<string>((r) => (found = r));
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    const m = /Open this address to log in:\n\s+(\S+)/.exec(stderr);
    if (m) found(m[1]!);
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { authorizeUrl, done };
}

/**
 * A PATH folder whose `xdg-open` records its arguments and starts a headless Chromium with a
 * profile of its own on them; `close` ends that Chromium.
 */
async function systemChromium(): Promise<{ pathDir: string; arguments(): Promise<string[]>; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'mlb-opener-'));
  const args = join(dir, 'arguments');
  const pid = join(dir, 'chromium.pid');
  const sandbox = process.getuid?.() === 0 ? ' --no-sandbox' : '';
  await writeFile(
    join(dir, 'xdg-open'),
    `#!/bin/sh\nprintf '%s\\n' "$@" > '${args}'\necho $$ > '${pid}'\n` +
      `exec ${CHROMIUM_PATH} --headless=new --disable-gpu --disable-background-networking --no-first-run${sandbox} --user-data-dir='${join(dir, 'profile')}' "$@" >/dev/null 2>&1\n`,
    { mode: 0o755 },
  );
  return {
    pathDir: dir,
    arguments: async () => (await readFile(args, 'utf8')).split('\n').filter(Boolean),
    close: async () => {
      const running = Number((await readFile(pid, 'utf8').catch(() => '')).trim());
      if (running > 0) {
        try {
          process.kill(running);
        } catch {
          // Already gone.
        }
      }
      await new Promise((r) => setTimeout(r, 200));
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

describe('mcp-login-bridge login from a terminal', () => {
  it('completes through the running extension, and without it through the system browser and its own listener', async () => {
    world = await startLoginWorld({ googleRule: true });
    const w = world;
    // The background connects to the host when its worker starts; the host announces its bridge.
    await waitFor('the browser host to announce its bridge', async () => (await bridgeFiles(w.runtimeDir)).length === 1);

    // No xdg-open anywhere on PATH: only the extension can open this login.
    const noOpener = await mkdtemp(join(tmpdir(), 'mlb-path-'));
    const env = { ...process.env, ...w.env, PATH: noOpener };
    const viaExtension = await login([w.mcp.url, '--json', '--timeout', '60'], env).done;
    expect(viaExtension.code, viaExtension.stderr).toBe(0);
    expect(JSON.parse(viaExtension.stdout)).toMatchObject({ ok: true, via: 'extension', serverUrl: w.mcp.url, refreshCapable: true });
    expect(viaExtension.stderr).toContain('opened in a tab of chromium');
    expect(w.provider.stats.authorizeRequests).toHaveLength(1);
    expect(w.provider.stats.authorizeRequests[0]!.searchParams.get('access_type')).toBe('offline');

    restoreEnv = w.keyring.applyToProcess();
    const stored = await new BridgeStore().read(w.mcp.url);
    expect(stored?.refreshToken, 'the login went to the keychain with a refresh token').toBeTruthy();
    expect(viaExtension.stdout + viaExtension.stderr).not.toContain(stored!.accessToken);

    // The browser goes away: its host exits and takes its runtime file with it.
    await w.browser.close();
    await waitFor('the bridge file to be removed', async () => (await bridgeFiles(w.runtimeDir)).length === 0);

    // Now the "system browser" is a fresh Chromium (no extension) that an xdg-open on PATH starts
    // with the one argument it is given, as a desktop's opener would.
    const opener = await systemChromium();
    cleanupOpener = opener.close;
    const authorizeBefore = w.provider.stats.authorizeRequests.length;
    const local = login([w.mcp.url, '--json', '--timeout', '60'], { ...env, PATH: opener.pathDir });
    const viaListener = await local.done;
    expect(viaListener.code, viaListener.stderr + viaListener.stdout).toBe(0);
    expect(JSON.parse(viaListener.stdout)).toMatchObject({ ok: true, via: 'system-browser', refreshCapable: true });
    // What other users could read on the opener's command line: a one-time start link on the
    // CLI's own port, not the authorize URL with its state and PKCE challenge.
    const [argument, ...more] = await opener.arguments();
    expect(more).toEqual([]);
    expect(argument).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/start\/[\w-]{22}$/);
    const sent = w.provider.stats.authorizeRequests.slice(authorizeBefore);
    expect(sent).toHaveLength(1);
    expect(argument).not.toContain(sent[0]!.searchParams.get('state')!);
    // The login succeeded, so Chromium brought the start link's cookie back with the callback
    // (without it the listener calls the login off), at the port that served the start link.
    expect(new URL(sent[0]!.searchParams.get('redirect_uri')!).origin).toBe(new URL(argument!).origin);
  });
});

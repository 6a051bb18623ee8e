/**
 * DESIGN.md 3.3 end to end: a separate `mcp-login-bridge login` process, while Chromium runs the
 * extension, logs in through the extension's tab (the host Chromium started takes the request on
 * its bridge, the extension opens and captures the login, the host stores it and reports back).
 * Once the browser is gone, the same command completes through its own loopback listener.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../native-host/stores/bridge-store';
import { CLI_BIN } from '../helpers/native-client';
import { followToCallback } from '../helpers/redirect-follower';
import { startLoginWorld, type LoginWorld } from './login-world';

let world: LoginWorld | undefined;
let restoreEnv: (() => void) | undefined;
afterEach(async () => {
  restoreEnv?.();
  restoreEnv = undefined;
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

describe('mcp-login-bridge login from a terminal', () => {
  it('completes through the running extension, and without a browser through its own listener', async () => {
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

    const local = login([w.mcp.url, '--json', '--timeout', '60'], env);
    const url = await local.authorizeUrl;
    const { callback } = await followToCallback(url, new URL(url).searchParams.get('redirect_uri')!);
    expect((await fetch(callback)).status).toBe(200);
    const viaListener = await local.done;
    expect(viaListener.code, viaListener.stderr).toBe(0);
    expect(JSON.parse(viaListener.stdout)).toMatchObject({ ok: true, via: 'system-browser', refreshCapable: true });
  });
});

/**
 * What the real extension keeps, read back through the real browser after logins of every kind
 * this Chromium can make: Authorize in the popup with a configured confidential client (Google's
 * case, a client secret), with a client registered on the spot (RFC 7591), and `login` in a
 * terminal through the extension. Then everything in `storage.local`, `storage.session`,
 * `storage.sync` and every IndexedDB database of the extension's origin is dumped from its service
 * worker and searched for every secret the fixture providers issued or received: authorization
 * codes, PKCE verifiers, access, refresh and ID tokens, client secrets.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGoogleLikeProvider } from '../fixtures/google-like-provider';
import { startMcpServer } from '../fixtures/mcp-server';
import { CLI_BIN } from '../helpers/native-client';
import { authorizeInPopup, startLoginWorld, type LoginWorld } from './login-world';

const cleanups: (() => Promise<unknown>)[] = [];
let world: LoginWorld | undefined;
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups.length = 0;
  await world?.close();
  world = undefined;
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const bridgeFiles = async (dir: string) => (existsSync(dir) ? (await readdir(dir)).filter((n) => /^host-\d+\.json$/.test(n)) : []);

/** Everything the extension's origin stores, as one JSON text, read by its own service worker. */
async function extensionStorage(w: LoginWorld): Promise<{ text: string; databases: string[] }> {
  return w.browser.serviceWorker.evaluate(async () => {
    const api = (globalThis as any).chrome;
    const [local, session, sync] = await Promise.all([api.storage.local.get(null), api.storage.session.get(null), api.storage.sync.get(null)]);
    const idb: Record<string, Record<string, unknown[]>> = {};
    const databases = (await indexedDB.databases()).map((d) => d.name!).filter(Boolean);
    for (const name of databases) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      idb[name] = {};
      for (const storeName of Array.from(db.objectStoreNames)) {
        idb[name]![storeName] = await new Promise<unknown[]>((resolve, reject) => {
          const request = db.transaction(storeName, 'readonly').objectStore(storeName).getAll();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      }
      db.close();
    }
    return { text: JSON.stringify({ local, session, sync, idb }), databases };
  });
}

describe('the extension keeps no secret', () => {
  it('after popup logins (configured client with a secret, registered client) and a CLI login through it: storage.local, storage.session and IndexedDB hold no code, verifier, token or client secret', async () => {
    world = await startLoginWorld({ googleRule: true });
    const w = world;

    // A second provider that registers clients (RFC 7591), added to the host's config, which the host reads at every login.
    const open = await startGoogleLikeProvider({ registration: true });
    cleanups.push(() => open.close());
    const openMcp = await startMcpServer({ issuer: open.issuer });
    cleanups.push(() => openMcp.close());
    await writeFile(
      w.configPath,
      JSON.stringify({
        clients: [{ issuer: w.provider.issuer, servers: [w.mcp.url], clientId: w.provider.clientId, clientSecret: w.provider.clientSecret }],
        rules: [
          { id: 'fixture-google', origins: [w.provider.issuer], params: { access_type: 'offline', prompt: 'consent' } },
          { id: 'fixture-open', origins: [open.issuer], params: { access_type: 'offline', prompt: 'consent' } },
        ],
      }),
      { mode: 0o600 },
    );

    // 1. Authorize in the popup, configured confidential client.
    const configured = await authorizeInPopup(w.browser, w.mcp.url);
    expect(configured.state, configured.text).toBe('success');
    // 2. Authorize in the popup, a client registered for this login.
    const registered = await authorizeInPopup(w.browser, openMcp.url);
    expect(registered.state, registered.text).toBe('success');
    expect(open.stats.registeredClients).toHaveLength(1);
    // 3. `login` in a terminal, opened and captured by the extension.
    await waitFor('the browser host to announce its bridge', async () => (await bridgeFiles(w.runtimeDir)).length === 1);
    const noOpener = await mkdtemp(join(tmpdir(), 'mlb-path-'));
    const cli = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_BIN, 'login', w.mcp.url, '--json', '--timeout', '60'], {
        env: { ...process.env, ...w.env, PATH: noOpener },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ via: 'extension', refreshCapable: true });

    const secrets = [...w.provider.stats.secrets, ...open.stats.secrets];
    // What was issued: two code exchanges at the first provider, one at the second, each with a
    // code, a verifier, an access and a refresh token; and the configured client's secret.
    expect(w.provider.stats.secrets.has(w.provider.clientSecret)).toBe(true);
    expect(secrets.length).toBeGreaterThanOrEqual(3 * 4 + 1);

    const { text, databases } = await extensionStorage(w);
    // The dump is the real thing: the extension's activity log database and the login results are in it.
    expect(databases.length).toBeGreaterThan(0);
    expect(text).toContain(w.mcp.url);
    expect(text).toContain(openMcp.url);
    const leaked = secrets.filter((secret) => text.includes(secret));
    // The reader would see a secret in any of the areas: one planted in each is found, then removed.
    const canary = `canary-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    await w.browser.serviceWorker.evaluate(async (value) => {
      const api = (globalThis as any).chrome;
      await api.storage.local.set({ canaryLocal: value });
      await api.storage.session.set({ canarySession: value });
      await new Promise<void>((resolve, reject) => {
        const request = indexedDB.open('canary-db', 1);
        request.onupgradeneeded = () => request.result.createObjectStore('s', { autoIncrement: true });
        request.onsuccess = () => {
          const tx = request.result.transaction('s', 'readwrite');
          tx.objectStore('s').add({ value });
          tx.oncomplete = () => (request.result.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
        request.onerror = () => reject(request.error);
      });
    }, canary);
    const planted = await extensionStorage(w);
    expect(planted.text.split(canary).length - 1, 'the canary in local, session and IndexedDB').toBe(3);
    await w.browser.serviceWorker.evaluate(async () => {
      const api = (globalThis as any).chrome;
      await api.storage.local.remove('canaryLocal');
      await api.storage.session.remove('canarySession');
      await new Promise((resolve) => (indexedDB.deleteDatabase('canary-db').onsuccess = resolve));
    });
    expect(leaked, 'secrets found in the extension storage').toEqual([]);
    // Nor in anything the browser's pages or service worker logged.
    const console = w.browser.consoleMessages.join('\n');
    expect(secrets.filter((secret) => console.includes(secret))).toEqual([]);
  }, 240_000);
});

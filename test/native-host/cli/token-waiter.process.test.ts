/**
 * The built `token` on an expired credential while another process holds the refresh lock, as
 * forty-nine of fifty `token` processes are in a storm: it waits for the holder's write with no
 * more code than the valid path (token-lazy.cjs stays unloaded) and reads the keychain twice, once
 * to find the credential expired and once after the holder marked its write, however long the
 * refresh took. The holder here is this test process, through the same lock.
 *
 * Read from inside the real process by a preload that counts keychain reads and says when the
 * process starts watching the locks folder. Not a timing: the storm's time is the bench's
 * (bench/refresh.bench.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import type { StoredCredential } from '../../../native-host/stores/credential';
import { withRefreshLock } from '../../../native-host/stores/refresh-lock';
import { refreshLockPath } from '../../../native-host/stores/refresh-wait';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { CLI_BIN, HOST_BUNDLE, assertHostBuilt } from '../../helpers/native-client';

const LAZY_FILE = join(HOST_BUNDLE, '..', 'token-lazy.cjs');

const PRELOAD = `
const Module = require('node:module');
const fs = require('node:fs');
let reads = 0;
const load = Module._load;
Module._load = function (request) {
  const loaded = load.apply(this, arguments);
  // The package, or its platform binary, which token.cjs requires directly (keyring-binding.cjs).
  if ((request === '@napi-rs/keyring' || request.startsWith('@napi-rs/keyring-')) && loaded.Entry && !loaded.__counted) {
    loaded.__counted = true;
    const get = loaded.Entry.prototype.getPassword;
    loaded.Entry.prototype.getPassword = function () { reads++; return get.apply(this, arguments); };
  }
  return loaded;
};
const watch = fs.watch;
fs.watch = function () {
  const watcher = watch.apply(this, arguments);
  fs.writeFileSync(process.env.MLB_WATCHING, '');
  return watcher;
};
process.on('exit', () => {
  fs.writeFileSync(process.env.MLB_LOAD_RECORD, JSON.stringify({ files: Object.keys(require.cache), reads }));
});
`;

let keyring: KeyringHarness;
let restoreEnv: () => void;
let dir: string;
let env: NodeJS.ProcessEnv;
let deadIssuer: string;
const store = new BridgeStore();

function credential(serverUrl: string, expiresAt: number, accessToken: string): StoredCredential {
  return {
    serverUrl,
    resource: serverUrl,
    issuer: deadIssuer,
    clientId: 'client',
    tokenEndpointAuthMethod: 'none',
    accessToken,
    tokenType: 'Bearer',
    refreshToken: 'rt',
    expiresAt,
    scope: 'openid',
    updatedAt: Date.now(),
  };
}

interface Waiter {
  /** Resolves once the process watches the locks folder, i.e. it is waiting. */
  watching: Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string; files: string[]; reads: number }>;
}

function startToken(name: string, serverUrl: string): Waiter {
  const record = join(dir, `${name}.json`);
  const watchingFile = join(dir, `${name}.watching`);
  const child = spawn(process.execPath, ['-r', join(dir, 'preload.cjs'), CLI_BIN, 'token', serverUrl], {
    env: { ...env, MLB_LOAD_RECORD: record, MLB_WATCHING: watchingFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Awaited<Waiter['done']>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const { files, reads } = JSON.parse(readFileSync(record, 'utf8')) as { files: string[]; reads: number };
      resolve({ code, stdout, stderr, files, reads });
    });
  });
  const watching = new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (existsSync(watchingFile)) (clearInterval(poll), resolve());
      else if (child.exitCode !== null) (clearInterval(poll), reject(new Error(`token exited before it waited: ${stderr}`)));
    }, 20);
  });
  return { watching, done };
}

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  dir = await mkdtemp(join(tmpdir(), 'mlb-token-waiter-'));
  await writeFile(join(dir, 'preload.cjs'), PRELOAD);
  env = { ...process.env, ...keyring.env, MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: '5000' };
  // An issuer nothing listens on: a waiter that refreshed by itself would fail loudly.
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  deadIssuer = `http://127.0.0.1:${(s.address() as { port: number }).port}`;
  await new Promise<void>((resolve) => s.close(() => resolve()));
});
afterAll(async () => {
  restoreEnv?.();
  await keyring?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('token waiting for another process\'s refresh', () => {
  it('takes the holder\'s result when it is marked written: two keychain reads, token-lazy.cjs never loaded', async () => {
    const serverUrl = 'https://waiting.example/mcp';
    await store.write(credential(serverUrl, Date.now() - 60_000, 'at-expired'));
    const result = await withRefreshLock(serverUrl, async (lock) => {
      const waiter = startToken('marked', serverUrl);
      await waiter.watching;
      // A slow refresh: the waiter must not poll the keychain meanwhile.
      await new Promise((r) => setTimeout(r, 1_000));
      await store.write(credential(serverUrl, Date.now() + 3600_000, 'at-refreshed'));
      lock.markWritten!();
      return waiter.done;
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('at-refreshed\n');
    expect(result.files, 'a waiter loaded the refresh code').not.toContain(LAZY_FILE);
    expect(result.reads).toBe(2);
    // Nothing but the moment is on disk next to the lock.
    expect(readFileSync(`${refreshLockPath(serverUrl)}.written`, 'utf8')).toBe('');
  });

  it('when the holder lets go without a result, looks once, then takes the lock and refreshes itself', async () => {
    const serverUrl = 'https://holder-failed.example/mcp';
    await store.write(credential(serverUrl, Date.now() - 60_000, 'at-expired'));
    const waiter = await withRefreshLock(serverUrl, async () => {
      const started = startToken('failed', serverUrl);
      await started.watching;
      return started;
    });
    const result = await waiter.done;
    // Its own refresh goes to the issuer nothing listens on.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refus/i);
    expect(result.files).toContain(LAZY_FILE);
    // Expired at first; once when the lock went; once more under the lock before refreshing.
    expect(result.reads).toBe(3);
  });
});

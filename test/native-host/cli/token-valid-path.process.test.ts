/**
 * What the built `token` loads with a valid credential, the call a headers helper makes before
 * every MCP request: token.cjs alone, none of what only a refresh, a name lookup or a file write
 * needs (token-lazy.cjs, Node's network modules, crypto, fs/promises). Read from inside the real
 * process through a preload that records, at exit, the files it required and Node's own module
 * list; the same probe on a refreshing call sees token-lazy.cjs and net, so it can tell.
 *
 * The same probe counts the process's threads at exit (Linux): the valid path reads the keychain and
 * the config synchronously, so libuv's thread pool never starts and the count is that of
 * `node -e ''` under the same probe; a refreshing call starts it.
 *
 * Not a timing: start-up time is the bench's (bench/token-startup.bench.ts). This fails when a
 * change puts the refresh path, or a built-in it alone needs, back on the valid one.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import type { StoredCredential } from '../../../native-host/stores/credential';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { CLI_BIN, HOST_BUNDLE, assertHostBuilt } from '../../helpers/native-client';

const DIST = join(HOST_BUNDLE, '..');
const TOKEN_FILE = join(DIST, 'token.cjs');
const LAZY_FILE = join(DIST, 'token-lazy.cjs');
/** Built-ins only the refresh, the clients' copies, a name lookup or a file write use. */
const NOT_ON_VALID_PATH = ['http', 'https', 'tls', 'net', 'dns', 'child_process', 'crypto', 'fs/promises', 'v8'];

// Written before the process exits (token calls process.exit once the answer is out).
const PRELOAD = `
process.on('exit', () => {
  require('node:fs').writeFileSync(process.env.MLB_LOAD_RECORD, JSON.stringify({
    files: Object.keys(require.cache),
    builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length)),
    threads: process.platform === 'linux' ? require('node:fs').readdirSync('/proc/self/task').length : null,
  }));
});
`;

let keyring: KeyringHarness;
let restoreEnv: () => void;
let dir: string;
let env: NodeJS.ProcessEnv;
/** Threads of `node -e ''` at exit under the same probe. */
let baselineThreads: number | null;
const store = new BridgeStore();

function credential(serverUrl: string, expiresAt: number, issuer = 'https://issuer.example'): StoredCredential {
  return {
    serverUrl,
    resource: serverUrl,
    issuer,
    clientId: 'client',
    tokenEndpointAuthMethod: 'none',
    accessToken: `at-${expiresAt}`,
    tokenType: 'Bearer',
    refreshToken: 'rt',
    expiresAt,
    scope: 'openid',
    updatedAt: Date.now(),
  };
}

interface Recorded {
  code: number | null;
  stdout: string;
  stderr: string;
  files: string[];
  builtins: string[];
  /** Threads alive at exit (Linux; null elsewhere). */
  threads: number | null;
}

/**
 * Runs the installed command with the recording preload. stdout goes to a file, not a pipe: Node
 * loads net for a piped stdout by itself, which would hide whether the command did.
 */
function runRecorded(name: string, args: string[], script: string[] = [CLI_BIN, 'token']): Promise<Recorded> {
  const record = join(dir, `${name}.json`);
  const out = join(dir, `${name}.out`);
  const fd = openSync(out, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', join(dir, 'preload.cjs'), ...script, ...args], {
      env: { ...env, MLB_LOAD_RECORD: record },
      stdio: ['ignore', fd, 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      closeSync(fd);
      const { files, builtins, threads } = JSON.parse(readFileSync(record, 'utf8')) as Omit<Recorded, 'code' | 'stdout' | 'stderr'>;
      resolve({ code, stdout: readFileSync(out, 'utf8'), stderr, files, builtins, threads });
    });
  });
}

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  dir = await mkdtemp(join(tmpdir(), 'mlb-token-valid-path-'));
  await writeFile(join(dir, 'preload.cjs'), PRELOAD);
  env = { ...process.env, ...keyring.env, MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: '5000' };
  baselineThreads = (await runRecorded('baseline', [], ['-e', ''])).threads;
});
afterAll(async () => {
  restoreEnv?.();
  await keyring?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('token with a valid credential loads the valid-token path only', () => {
  const serverUrl = 'https://valid.example/mcp';
  beforeAll(async () => {
    await store.write(credential(serverUrl, Date.now() + 3600_000));
  });

  for (const [label, options] of [['plain', []], ['--headers', ['--headers']], ['--json', ['--json']]] as const) {
    it(`${label}: prints the token from token.cjs, without token-lazy.cjs or the built-ins only other paths need`, async () => {
      const r = await runRecorded(`valid-${label}`, [serverUrl, ...options]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`at-`);
      expect(r.files).toContain(TOKEN_FILE);
      expect(r.files, 'the valid path required token-lazy.cjs').not.toContain(LAZY_FILE);
      expect(r.builtins.filter((m) => NOT_ON_VALID_PATH.includes(m))).toEqual([]);
      expect(r.threads, 'the valid path started threads node -e \'\' does not have (libuv\'s thread pool)').toBe(baselineThreads);
    });
  }
});

describe('the probe sees the other paths', () => {
  it('an expired credential loads token-lazy.cjs and the network to refresh (here at a port nothing listens on)', async () => {
    const serverUrl = 'https://expired.example/mcp';
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    await store.write(credential(serverUrl, Date.now() - 60_000, `http://127.0.0.1:${port}`));

    const r = await runRecorded('expired', [serverUrl]);
    // The refresh itself fails (nothing answers); what matters is what it loaded to try.
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refus/i);
    expect(r.files).toContain(LAZY_FILE);
    // The connection is opened with net before http has a request to send on it.
    expect(r.builtins).toContain('net');
    // Its lock and file work go through libuv's thread pool.
    if (baselineThreads !== null) expect(r.threads).toBeGreaterThan(baselineThreads);
  });

  it('a server name loads token-lazy.cjs for the lookup', async () => {
    const r = await runRecorded('name', ['no-such-server']);
    expect(r.code).toBe(2);
    expect(r.files).toContain(LAZY_FILE);
  });
});

describe('one copy of each module', () => {
  it('token-lazy.cjs takes the modules token.cjs holds from it (instanceof and the keychain connections depend on it)', () => {
    const token = readFileSync(TOKEN_FILE, 'utf8');
    const lazy = readFileSync(LAZY_FILE, 'utf8');
    const errorClass = /this\.name\s*=\s*"ProtocolError"/g;
    expect(token.match(errorClass)).toHaveLength(1);
    expect(lazy.match(errorClass)).toBeNull();
    // The keychain module (its per-process Entry cache) likewise.
    expect(token).toContain('findCredentialsAsync');
    expect(lazy).not.toContain('findCredentialsAsync');
    expect(lazy).toContain('require("./token.cjs")');
  });
});

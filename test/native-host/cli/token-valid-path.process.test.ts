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
 * The floor the bench compares with, a script that requires @napi-rs/keyring and reads the entry,
 * runs under the same probe: the valid path loads no Node module that script does not (node:util's
 * parseArgs, for one, would add two), and it takes the keyring's platform binary without the
 * package's loader (stores/keyring-binding.cjs).
 *
 * The answer goes straight to file descriptor 1: building process.stdout would load node:stream
 * (and net for a pipe, as clients run it) for one line.
 *
 * Not a timing: start-up time is the bench's (bench/token-startup.bench.ts). This fails when a
 * change puts the refresh path, or a built-in it alone needs, back on the valid one.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import type { StoredCredential } from '../../../native-host/stores/credential';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { testCredential } from '../../helpers/credentials';
import { CLI_BIN, HOST_BUNDLE, assertHostBuilt } from '../../helpers/native-client';

const DIST = join(HOST_BUNDLE, '..');
const TOKEN_FILE = join(DIST, 'token.cjs');
const LAZY_FILE = join(DIST, 'token-lazy.cjs');
/** Where the keyring's package and its binary for this platform are, seen from the built files. */
const requireFromDist = createRequire(join(DIST, 'token.cjs'));
const KEYRING_LOADER = requireFromDist.resolve('@napi-rs/keyring');
const KEYRING_BINARY_PACKAGE = `@napi-rs/keyring-${process.platform}-${process.arch}${{ linux: '-gnu', win32: '-msvc', darwin: '' }[process.platform as string] ?? ''}`;
const keyringBinary = (() => {
  try {
    return requireFromDist.resolve(KEYRING_BINARY_PACKAGE);
  } catch {
    return undefined;
  }
})();
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
/** The floor script of the bench (require the keyring, read one entry, print the token). */
let floorScript: string;
const store = new BridgeStore();

/** A stored login for `serverUrl` that expires at `expiresAt`; its token starts with "at-". */
function credential(serverUrl: string, expiresAt: number, issuer = 'https://issuer.example'): StoredCredential {
  return testCredential({ serverUrl, issuer, accessToken: `at-${expiresAt}`, expiresAt, updatedAt: Date.now() });
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
function runRecorded(name: string, args: string[], script: string[] = [CLI_BIN, 'token'], extraEnv: NodeJS.ProcessEnv = {}, stdout: 'file' | 'pipe' = 'file'): Promise<Recorded> {
  const record = join(dir, `${name}.json`);
  const out = join(dir, `${name}.out`);
  const fd = stdout === 'file' ? openSync(out, 'w') : undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', join(dir, 'preload.cjs'), ...script, ...args], {
      env: { ...env, ...extraEnv, MLB_LOAD_RECORD: record },
      stdio: ['ignore', fd ?? 'pipe', 'pipe'],
    });
    let stderr = '';
    let piped = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout?.on('data', (d) => (piped += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (fd !== undefined) closeSync(fd);
      const { files, builtins, threads } = JSON.parse(readFileSync(record, 'utf8')) as Omit<Recorded, 'code' | 'stdout' | 'stderr'>;
      resolve({ code, stdout: fd !== undefined ? readFileSync(out, 'utf8') : piped, stderr, files, builtins, threads });
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
  floorScript = join(dir, 'floor.cjs');
  await writeFile(
    floorScript,
    `const { Entry } = require(${JSON.stringify(KEYRING_LOADER)});
const [service, account] = process.argv.slice(2);
process.stdout.write(JSON.parse(new Entry(service, account, { linux: { store: 'secret-service' } }).getPassword()).accessToken + '\\n');`,
  );
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

  it('loads no Node module the floor script (require the keyring, read the entry) does not', async () => {
    const floor = await runRecorded('floor', ['mcp-login-bridge', serverUrl], [floorScript]);
    expect(floor.code, floor.stderr).toBe(0);
    expect(floor.stdout).toContain('at-');
    for (const options of [[], ['--headers'], ['--json']]) {
      const r = await runRecorded(`valid-modules${options.join('')}`, [serverUrl, ...options]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.builtins.filter((m) => !floor.builtins.includes(m)), `${options.join(' ') || 'plain'}: modules the floor does not load`).toEqual([]);
    }
  });

  it('writes the answer without building process.stdout (no node:stream), to a pipe as to a file', async () => {
    for (const options of [[], ['--headers'], ['--json']]) {
      const toFile = await runRecorded(`valid-stdout${options.join('')}`, [serverUrl, ...options]);
      expect(toFile.code, toFile.stderr).toBe(0);
      expect(toFile.stdout).toContain('at-');
      expect(toFile.builtins, `${options.join(' ') || 'plain'}: process.stdout was built`).not.toContain('stream');
      const toPipe = await runRecorded(`valid-pipe${options.join('')}`, [serverUrl, ...options], undefined, {}, 'pipe');
      expect(toPipe.code, toPipe.stderr).toBe(0);
      expect(toPipe.stdout).toContain('at-');
      expect(toPipe.builtins, `${options.join(' ') || 'plain'} to a pipe: process.stdout was built`).not.toContain('net');
    }
  });

  it.runIf(keyringBinary !== undefined)('takes the keyring\'s platform binary without the package\'s loader (index.js)', async () => {
    const r = await runRecorded('valid-binding', [serverUrl]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.files).toContain(keyringBinary);
    expect(r.files).not.toContain(KEYRING_LOADER);
  });
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

  it('an unreachable keychain loads token-lazy.cjs for the message (keyring-errors.ts), which names the bus and what to do', async () => {
    const r = await runRecorded('no-bus', ['https://valid.example/mcp'], [CLI_BIN, 'token'], { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot reach the D-Bus session bus \(DBUS_SESSION_BUS_ADDRESS=unix:path=.*no-bus/);
    expect(r.stderr).toMatch(/start a session bus and a Secret Service/);
    expect(r.stderr).toContain('KeychainUnavailable (500)');
    expect(r.files).toContain(LAZY_FILE);
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

  it('token.cjs leaves out what only writes, listings and keychain failures need: those come from token-lazy.cjs', () => {
    const token = readFileSync(TOKEN_FILE, 'utf8');
    const lazy = readFileSync(LAZY_FILE, 'utf8');
    for (const module of ['native-host/stores/bridge-store-writes.ts', 'native-host/stores/keyring-errors.ts']) {
      expect(token, `${module} is not taken from token-lazy.cjs`).toContain(`"token-lazy:${module}"`);
      expect(lazy).toContain(`"${module}":`);
    }
    // esbuild writes a class as `class X` or `X = class`.
    const defines = (text: string, name: string) => new RegExp(`\\b(class|function)\\s+${name}\\b|\\b${name}\\s*=\\s*class\\b`).test(text);
    for (const name of ['BridgeStoreWrites', 'keyringError']) {
      expect(defines(token, name), `token.cjs defines ${name}`).toBe(false);
      expect(defines(lazy, name), `token-lazy.cjs defines ${name}`).toBe(true);
    }
  });
});

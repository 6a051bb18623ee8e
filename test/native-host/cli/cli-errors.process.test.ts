/**
 * How a failure reads in the terminal, through the built binary with a real keyring: a sentence
 * first (capitalised, saying what happened and what to do), the code on a "Details:" line of its
 * own, and in --json the code, name and message as fields. A provider that is down reads as
 * down (connection refused, or no answer in time), and `token` says the login is kept.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import type { StoredCredential } from '../../../native-host/stores/credential';
import { startKeyring, type KeyringHarness } from '../../fixtures/keyring-harness';
import { assertHostBuilt, runCli, type CliRun } from '../../helpers/native-client';

let keyring: KeyringHarness;
let restoreEnv: () => void;
let env: NodeJS.ProcessEnv;
let home: string;
/** A port that was just free: nothing listens there, so connecting is refused. */
let closedPort: number;
/** Accepts connections and never answers: a provider that hangs. */
let silent: Server;
const held: Socket[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  assertHostBuilt();
  keyring = await startKeyring();
  restoreEnv = keyring.applyToProcess();
  home = await mkdtemp(join(tmpdir(), 'mlb-cli-errors-'));
  env = { ...process.env, ...keyring.env, HOME: home, CODEX_HOME: join(home, '.codex'), CLAUDE_CONFIG_DIR: join(home, '.claude'), MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: '1000' };
  closedPort = await freePort();
  silent = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((resolve) => silent?.close(() => resolve()));
  restoreEnv?.();
  await keyring?.stop();
  await rm(home, { recursive: true, force: true });
});

const store = new BridgeStore();
beforeEach(async () => {
  for (const c of await store.list()) await store.delete(c.serverUrl);
});

/** An expired login with a refresh token, at a provider that is not answering. */
function expiredAt(issuer: string): StoredCredential {
  const serverUrl = `${issuer}/mcp`;
  return {
    serverUrl,
    resource: serverUrl,
    issuer,
    clientId: 'client',
    tokenEndpointAuthMethod: 'none',
    accessToken: 'at-old-secret',
    tokenType: 'Bearer',
    refreshToken: 'rt-kept-secret',
    expiresAt: Date.now() - 60_000,
    scope: 'openid',
    updatedAt: Date.now(),
  };
}

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, env);
}

describe('token with the provider down', () => {
  it('connection refused: says so and what to do, says the login is kept, and gives the code on a details line', async () => {
    const c = expiredAt(`http://127.0.0.1:${closedPort}`);
    await store.write(c);
    const r = await cli('token', c.serverUrl);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^mcp-login-bridge: Refreshing the token for /);
    expect(lines[0]).toContain(`127.0.0.1:${closedPort} refused the connection (ECONNREFUSED): nothing is listening there`);
    expect(lines[0]).toContain('Your login is kept (nothing was lost): try again later');
    expect(lines[0]).not.toContain('fetch failed');
    expect(lines[1]).toBe('Details: RefreshFailed (402)');
    // Nothing was lost: the stored login is the one from before.
    expect(await store.read(c.serverUrl)).toMatchObject({ refreshToken: 'rt-kept-secret', accessToken: 'at-old-secret' });
    expect(r.stderr).not.toContain('secret');
  });

  it('a provider that never answers reads as a timeout, not as refused', async () => {
    const c = expiredAt(`http://127.0.0.1:${(silent.address() as { port: number }).port}`);
    await store.write(c);
    const r = await cli('token', c.serverUrl);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('did not answer in time (timed out)');
    expect(r.stderr).toContain('Your login is kept');
    expect(r.stderr).not.toContain('refused');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('Details: RefreshFailed (402)');
  });

  it('--json keeps code, name and message as fields, and nothing on stderr', async () => {
    const c = expiredAt(`http://127.0.0.1:${closedPort}`);
    await store.write(c);
    const r = await cli('token', c.serverUrl, '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const body = JSON.parse(r.stdout) as { ok: boolean; error: { code: number; name: string; message: string } };
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe(402);
    expect(body.error.name).toBe('RefreshFailed');
    expect(body.error.message).toContain('refused the connection (ECONNREFUSED)');
  });
});

describe('other errors', () => {
  it('a lowercase host message is shown as a sentence, with its code below', async () => {
    const r = await cli('token', 'https://not-logged-in.example/mcp');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^mcp-login-bridge: Not logged in to https:\/\/not-logged-in\.example\/mcp/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('Details: NotLoggedIn (404)');
  });
});

describe('a server name that does not resolve', () => {
  it('reads as a DNS failure naming the host and what to check, not "fetch failed"', async () => {
    // A label longer than DNS allows (63): the resolver refuses it without sending a query, so
    // the test stays off the network.
    const name = `${'x'.repeat(64)}.example`;
    const r = await cli('login', `https://${name}/mcp`, '--no-browser');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the name ${name} could not be found (DNS lookup failed, ENOTFOUND); check the URL for a typo and that this machine is online`);
    expect(r.stderr).not.toMatch(/fetch failed|\n\s+at /);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('Details: DiscoveryFailed (200)');
  });
});

describe('an insecure server URL', () => {
  it('is named whole, path and all, with what is allowed, refused before anything starts (a usage error)', async () => {
    const url = 'http://mcp.example.com:9/team/a/mcp';
    const r = await cli('login', url, '--no-browser');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`must use https (plain http is allowed only for 127.0.0.1, localhost and [::1]); got ${url}\n`);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('Run "mcp-login-bridge login --help" for usage.');
    expect(r.stdout).not.toContain('Looking up');
    expect(r.stderr).not.toMatch(/\n\s+at |node:internal/);
  });
});

describe('times in --json', () => {
  it('status --json and token --json give each time as epoch ms and, beside it, ISO 8601 in UTC', async () => {
    const expiresAt = Date.UTC(2031, 4, 6, 7, 8, 9, 10);
    const c: StoredCredential = { ...expiredAt('https://iso.example'), expiresAt, refreshToken: undefined };
    await store.write(c);
    await store.write({ ...expiredAt('https://no-expiry.example'), expiresAt: null });
    const status = await cli('status', '--json');
    const body = JSON.parse(status.stdout) as { credentials: Array<{ serverUrl: string; expiresAt: number | null; expiresAtIso: string | null }> };
    const iso = body.credentials.find((x) => x.serverUrl === c.serverUrl)!;
    expect(iso.expiresAt).toBe(expiresAt);
    expect(iso.expiresAtIso).toBe('2031-05-06T07:08:09.010Z');
    const none = body.credentials.find((x) => x.serverUrl === 'https://no-expiry.example/mcp')!;
    expect(none.expiresAt).toBeNull();
    expect(none.expiresAtIso).toBeNull();

    const token = await cli('token', c.serverUrl, '--json');
    expect(token.code, token.stderr).toBe(0);
    expect(JSON.parse(token.stdout)).toMatchObject({ expiresAt, expiresAtIso: '2031-05-06T07:08:09.010Z' });
  });

  it('status for people shows local time to the minute, never the ISO form', async () => {
    const expiresAt = Date.now() + 2 * 3_600_000 + 120_000;
    await store.write({ ...expiredAt('https://local.example'), expiresAt });
    const r = await cli('status');
    expect(r.stdout).toContain('access token: expires in 2 h (at ');
    expect(r.stdout).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });
});

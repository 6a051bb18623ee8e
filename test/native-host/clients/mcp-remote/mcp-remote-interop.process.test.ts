/**
 * Interop with the real mcp-remote (npm mcp-remote 0.15.1, node_modules/.bin/mcp-remote) run as the
 * stdio MCP server a client like Cursor starts, driven by the SDK's stdio client: after a login
 * through the bridge against the Google-like fixture, the entry we write where the configured
 * launch looks (its hash, its folder) lets it connect to the fixture MCP server and list its tools
 * without opening a browser, and refresh an expired token by itself, writing the new one back.
 * A browser it tried to open would be recorded (test/helpers/mcp-remote-cli.ts).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpRemoteStore, tokensPath } from '../../../../native-host/clients/mcp-remote/mcp-remote-store';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../../../fixtures/mcp-server';
import { loginToFixture } from '../../../helpers/fixture-login';
import { adapterFor, assertMcpRemoteInstalled, browserCalls, listToolsThroughMcpRemote, MCP_REMOTE_BIN, theServer, world } from '../../../helpers/mcp-remote-cli';

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let root: string;

beforeAll(async () => {
  assertMcpRemoteInstalled();
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
  root = await mkdtemp(join(tmpdir(), 'mlb-mcp-remote-interop-'));
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('mcp-remote uses what we write', () => {
  it('connects with our login and lists the fixture tools, no browser opened', async () => {
    const args = [mcp.url, '--authorize-param', 'access_type=offline', '--header', 'X-Team: interop'];
    const w = await world(root, 'valid', args);
    const server = await theServer(w);
    const login = await loginToFixture(provider, mcp.url, { configuredClient: true });
    const written = await adapterFor(w).write(server, login, {});
    const file = tokensPath(server.launch);
    expect(written.location).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const { tools } = await listToolsThroughMcpRemote(w, args);
    expect(tools).toContain('whoami');
    expect(await browserCalls(w)).toBe('');
  });

  it('refreshes our expired login by itself and writes the new token back', async () => {
    const args = [mcp.url];
    const w = await world(root, 'expired', args);
    const server = await theServer(w);
    const login = await loginToFixture(provider, mcp.url, { configuredClient: true });
    const store = new McpRemoteStore();
    await store.write(server.launch, { ...login, expiresAt: Date.now() - 60_000 });

    const refreshesBefore = provider.stats.refreshRequests;
    const { tools } = await listToolsThroughMcpRemote(w, args);
    expect(tools).toContain('whoami');
    expect(provider.stats.refreshRequests).toBe(refreshesBefore + 1);
    expect(await browserCalls(w)).toBe('');

    const after = await store.read(server.launch);
    expect(after.tokens?.accessToken).not.toBe(login.accessToken);
    expect(after.tokens?.refreshToken).toBe(login.refreshToken);
    expect(after.tokens?.expiresAt).toBeGreaterThan(Date.now());
    expect((await stat(tokensPath(server.launch))).mode & 0o777).toBe(0o600);
  });

  it('does not find an entry written for another option set, and then opens a browser (the checks above can fail)', async () => {
    // A provider with dynamic registration, so mcp-remote gets as far as opening a browser.
    const open = await startGoogleLikeProvider({ registration: true });
    const openMcp = await startMcpServer({ issuer: open.issuer });
    try {
      const written = await world(root, 'other-hash', [openMcp.url]);
      const login = await loginToFixture(open, openMcp.url);
      await new McpRemoteStore().write((await theServer(written)).launch, login);
      // Same server, but started with a header: mcp-remote's store name changes with it.
      const args = [openMcp.url, '--header', 'X-Team: other', '--auth-timeout', '5'];
      const transport = new StdioClientTransport({ command: MCP_REMOTE_BIN, args, env: written.env, cwd: written.home, stderr: 'pipe' });
      let stderr = '';
      transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const client = new Client({ name: 'mcp-login-bridge-interop', version: '1.0.0' });
      const outcome = client.connect(transport, { timeout: 30_000 }).then(
        () => 'connected',
        () => 'failed',
      );
      for (let i = 0; i < 300 && !(await browserCalls(written)); i++) await new Promise((r) => setTimeout(r, 100));
      await client.close().catch(() => undefined);
      expect(await outcome).toBe('failed');
      expect(await browserCalls(written), stderr).toContain(`${open.issuer}/`);
    } finally {
      await openMcp.close();
      await open.close();
    }
  });
});

describe('mcp-remote with a provider that rotates refresh tokens', () => {
  it('writes the rotated refresh token back, with a later expiry our adapter reads (what rotation sync adopts)', async () => {
    const rotating = await startGoogleLikeProvider({ rotateRefreshTokens: true });
    const rotatingMcp = await startMcpServer({ issuer: rotating.issuer });
    try {
      const args = [rotatingMcp.url];
      const w = await world(root, 'rotating', args);
      const server = await theServer(w);
      const login = await loginToFixture(rotating, rotatingMcp.url, { configuredClient: true });
      const adapter = adapterFor(w);
      await adapter.write(server, { ...login, expiresAt: Date.now() - 60_000 }, {});

      const { tools } = await listToolsThroughMcpRemote(w, args);
      expect(tools).toContain('whoami');
      expect(rotating.stats.refreshRequests).toBe(1);
      expect(rotating.stats.refreshTokenReuses).toBe(0);
      const copy = await adapter.read(server);
      expect(copy?.refreshToken).toBeDefined();
      expect(copy?.refreshToken).not.toBe(login.refreshToken);
      expect(copy?.expiresAt).toBeGreaterThan(login.expiresAt!);
      // mcp-remote drops `issuer` from the tokens file on its own refresh; the client file keeps it.
      expect(copy).toMatchObject({ issuer: rotating.issuer, clientId: login.clientId });
      expect(adapter.usability(server, copy!, { now: Date.now() })).toEqual({ loggedIn: true, refreshCapable: true });
    } finally {
      await rotatingMcp.close();
      await rotating.close();
    }
  });
});

describe('mcp-remote with a dynamically registered (public) client', () => {
  it('refreshes with the client_info we wrote for the registration the bridge made', async () => {
    const open = await startGoogleLikeProvider({ registration: true });
    const openMcp = await startMcpServer({ issuer: open.issuer });
    try {
      const args = [openMcp.url, '--resource', openMcp.url];
      const w = await world(root, 'dcr', args);
      const server = await theServer(w);
      const login = await loginToFixture(open, openMcp.url);
      const adapter = adapterFor(w);
      await adapter.write(server, { ...login, expiresAt: Date.now() - 60_000 }, {});
      const { tools } = await listToolsThroughMcpRemote(w, args);
      expect(tools).toContain('whoami');
      expect(open.stats.refreshRequests).toBe(1);
      expect(await browserCalls(w)).toBe('');
      expect((await adapter.read(server))?.expiresAt).toBeGreaterThan(Date.now());
    } finally {
      await openMcp.close();
      await open.close();
    }
  });
});

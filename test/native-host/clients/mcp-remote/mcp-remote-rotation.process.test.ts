/**
 * mcp-remote in the rotation-sync rules (README "Providers that rotate refresh tokens"), with the
 * real mcp-remote and a provider that rotates refresh tokens with reuse detection: a login through
 * the bridge writes mcp-remote's copy; when mcp-remote refreshed after us, `token`'s logic adopts its
 * newer token instead of presenting the spent one; when we refresh, mcp-remote's copy gets the new
 * refresh token, and mcp-remote's next refresh works. The provider never sees a token twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientLogins } from '../../../../native-host/clients/client-logins';
import { validAccessToken } from '../../../../native-host/credentials/access-token';
import { clientCopies } from '../../../../native-host/credentials/client-copies';
import type { CredentialTarget, StoredCredential } from '../../../../native-host/stores/credential';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../../../fixtures/mcp-server';
import { loginToFixture } from '../../../helpers/fixture-login';
import { adapterFor, assertMcpRemoteInstalled, browserCalls, listToolsThroughMcpRemote, theServer, world } from '../../../helpers/mcp-remote-cli';

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
let root: string;

beforeAll(async () => {
  assertMcpRemoteInstalled();
  provider = await startGoogleLikeProvider({ rotateRefreshTokens: true });
  mcp = await startMcpServer({ issuer: provider.issuer });
  root = await mkdtemp(join(tmpdir(), 'mlb-mcp-remote-rotation-'));
});
afterAll(async () => {
  await mcp?.close();
  await provider?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Our own entry, in memory (the keychain is not what this test is about). */
function memoryStore(initial: StoredCredential): CredentialTarget & { current(): StoredCredential } {
  let stored = initial;
  return {
    name: 'bridge',
    describe: () => 'memory',
    read: async () => stored,
    write: async (c) => void (stored = c),
    delete: async () => true,
    list: async () => [stored],
    current: () => stored,
  };
}

describe('mcp-remote and token with a rotating provider', () => {
  it('a login writes mcp-remote; its later refresh is adopted; our refresh reaches its copy; no token is used twice', async () => {
    const args = [mcp.url];
    const w = await world(root, 'rotation', args);
    const adapter = adapterFor(w);
    const server = await theServer(w);

    // One login through the bridge: written to mcp-remote's store by the registered-adapter loop.
    const login = await loginToFixture(provider, mcp.url, { configuredClient: true, clients: new ClientLogins({ adapters: [adapter] }) });
    expect((await adapter.read(server))?.refreshToken).toBe(login.refreshToken);
    const ours = memoryStore(login);
    const copies = clientCopies({ adapters: [adapter] });

    // mcp-remote refreshes by itself first (its copy expired): the provider rotates, ours is spent.
    await adapter.withLock(server, (held) => held.updateTokens({ ...login, expiresAt: Date.now() - 60_000 }));
    expect((await listToolsThroughMcpRemote(w, args)).tools).toContain('whoami');
    const byMcpRemote = (await adapter.read(server))!;
    expect(byMcpRemote.refreshToken).not.toBe(login.refreshToken);

    // Ours is due: token adopts mcp-remote's newer login instead of refreshing with the spent token.
    await ours.write({ ...ours.current(), expiresAt: Date.now() - 60_000 });
    const refreshesBefore = provider.stats.refreshRequests;
    const adopted = await validAccessToken(ours, mcp.url, { clientCopies: copies });
    expect(adopted.credential.accessToken).toBe(byMcpRemote.accessToken);
    expect(ours.current().refreshToken).toBe(byMcpRemote.refreshToken);
    expect(provider.stats.refreshRequests).toBe(refreshesBefore);

    // Now we refresh (ours due again): the rotated token goes into mcp-remote's copy too.
    await ours.write({ ...ours.current(), expiresAt: Date.now() - 60_000 });
    const refreshed = await validAccessToken(ours, mcp.url, { clientCopies: copies });
    expect(refreshed.refreshed).toBe(true);
    expect((await adapter.read(server))?.refreshToken).toBe(ours.current().refreshToken);

    // mcp-remote's next refresh starts from that token, and the family is intact.
    await adapter.withLock(server, (held) => held.updateTokens({ ...ours.current(), expiresAt: Date.now() - 60_000 }));
    expect((await listToolsThroughMcpRemote(w, args)).tools).toContain('whoami');
    expect(provider.stats.refreshTokenReuses).toBe(0);
    expect(provider.stats.grantsRevoked).toBe(0);
    expect(await browserCalls(w)).toBe('');
  });
});

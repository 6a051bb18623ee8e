/**
 * A write that fails after the code was redeemed: the keychain passed the check in `begin`, then
 * refused the entry at `complete` (locked in between). The credential must survive in the bridge's
 * file, the error must say where, and a store reading "auto" must find it there.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_CONFIG, type HostConfig } from '../../../native-host/config';
import { LoginService } from '../../../native-host/oauth/login-service';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import { BridgeStore } from '../../../native-host/stores/bridge-store';
import type { KeyringCredential, KeyringItemId } from '../../../native-host/stores/keyring-entry';
import type { Keychain } from '../../../native-host/stores/split-keychain';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { parseRule } from '../../../shared/providers';
import { startGoogleLikeProvider, type GoogleLikeProvider } from '../../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { followToCallback } from '../../helpers/redirect-follower';

/** A keychain that takes writes until `locked`, then refuses them as a locked Secret Service does. */
class LockingKeychain implements Keychain {
  locked = false;
  readonly items = new Map<string, string>();
  async get(id: KeyringItemId) {
    return this.items.get(`${id.service}/${id.account}`);
  }
  async set(id: KeyringItemId, secret: string) {
    if (this.locked) throw new ProtocolError(ErrorCode.KeychainUnavailable, 'The Secret Service keyring is locked and could not be unlocked');
    this.items.set(`${id.service}/${id.account}`, secret);
  }
  async delete(id: KeyringItemId) {
    return this.items.delete(`${id.service}/${id.account}`);
  }
  async list(): Promise<KeyringCredential[]> {
    return [];
  }
}

let provider: GoogleLikeProvider;
let mcp: McpServerFixture;
const listener = new LoopbackListener();
const root = mkdtempSync(join(tmpdir(), 'mlb-rescue-'));
beforeAll(async () => {
  provider = await startGoogleLikeProvider();
  mcp = await startMcpServer({ issuer: provider.issuer });
});
afterAll(async () => {
  await listener.close();
  await mcp?.close();
  await provider?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a bridge write that fails after the code was redeemed', () => {
  it('keeps the credential in the 0600 file and says where; "auto" reads it from there', async () => {
    const config: HostConfig = {
      ...EMPTY_CONFIG,
      rules: [parseRule({ id: 'fixture-google', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }, 'config')],
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
    };
    const keychain = new LockingKeychain();
    const fileDir = join(root, 'credentials');
    const store = new BridgeStore({ keychain, mode: 'keychain', fileDir, warn: () => {} });
    const login = new LoginService({ loadConfig: async () => config, store, redirectUri: () => listener.redirectUri() });

    const begun = await login.begin(mcp.url); // the check passes: the keychain takes the probe
    keychain.locked = true;
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    const tokensBefore = provider.stats.tokenRequests;
    const error = await login.complete(callback.href).then(
      () => undefined,
      (e: unknown) => e as ProtocolError,
    );
    expect(provider.stats.tokenRequests).toBe(tokensBefore + 1); // the code was redeemed
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error!.code).toBe(ErrorCode.KeychainUnavailable);
    const [name] = readdirSync(fileDir);
    const path = join(fileDir, name!);
    expect(error!.message).toMatch(/^The login succeeded, but storing it failed: The Secret Service keyring is locked/);
    expect(error!.message).toContain(`kept in ${path} (mode 0600)`);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const recovered = await new BridgeStore({ keychain: new LockingKeychain(), mode: 'auto', fileDir, warn: () => {} }).read(mcp.url);
    expect(recovered?.refreshToken).toBeTruthy();
    expect(recovered?.issuer).toBe(provider.issuer);
    expect(error!.message).not.toContain(recovered!.accessToken);
    expect(error!.message).not.toContain(recovered!.refreshToken!);
  });
});

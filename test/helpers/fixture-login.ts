/**
 * A real login against the Google-like fixture provider (with the Google rule, so a refresh token
 * is issued), done by the host's LoginService and a redirect-following "browser", returning the
 * credential the host would store. Interop tests then write it into a client's store.
 */
import type { ClientLogins } from '../../native-host/clients/client-logins';
import { EMPTY_CONFIG, type HostConfig } from '../../native-host/config';
import { LoopbackListener } from '../../native-host/oauth/loopback-listener';
import { LoginService } from '../../native-host/oauth/login-service';
import type { CredentialTarget, StoredCredential } from '../../native-host/stores/credential';
import { parseRule } from '../../shared/providers';
import type { GoogleLikeProvider } from '../fixtures/google-like-provider';
import { followToCallback } from './redirect-follower';

export interface FixtureLoginOptions {
  /** Use the provider's pre-registered confidential client (Google's case) instead of dynamic registration. */
  configuredClient?: boolean;
  /** Also write the login into the local clients, as the host does (LoginService's `clients`). */
  clients?: ClientLogins;
}

export async function loginToFixture(provider: GoogleLikeProvider, serverUrl: string, options: FixtureLoginOptions = {}): Promise<StoredCredential> {
  let stored: StoredCredential | undefined;
  const memory: CredentialTarget = {
    name: 'bridge',
    describe: () => 'memory',
    read: async () => stored,
    write: async (credential) => void (stored = credential),
    delete: async () => true,
    list: async () => (stored ? [stored] : []),
  };
  const config: HostConfig = {
    ...EMPTY_CONFIG,
    rules: [parseRule({ id: 'fixture-google', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }, 'config')],
    clients: options.configuredClient ? [{ issuer: provider.issuer, servers: [serverUrl], clientId: provider.clientId, clientSecret: provider.clientSecret }] : [],
  };
  const listener = new LoopbackListener();
  try {
    const login = new LoginService({
      loadConfig: async () => config,
      store: memory,
      redirectUri: () => listener.redirectUri(),
      ...(options.clients ? { clients: options.clients } : {}),
    });
    const begun = await login.begin(serverUrl);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    await login.complete(callback.href);
  } finally {
    await listener.close();
  }
  if (!stored?.refreshToken) throw new Error('the fixture login stored no refresh-capable credential');
  return stored;
}

/**
 * What every request handler may use, built once per host process. The same context serves
 * native messaging and the loopback bridge, so both speak exactly the same messages.
 */
import { ClientLogins } from './clients/client-logins';
import { loadConfig, type HostConfig } from './config';
import { LoopbackListener } from './oauth/loopback-listener';
import { LoginService } from './oauth/login-service';
import { checkClientStoresWritable } from './oauth/store-preflight';
import type { ClientName } from './clients/client-adapter';
import { BridgeStore } from './stores/bridge-store';
import type { CredentialTarget } from './stores/credential';
import { HOST_VERSION } from './version';

export interface HostContext {
  version: string;
  login: LoginService;
  store: CredentialTarget;
  listener: LoopbackListener;
  loadConfig: () => Promise<HostConfig>;
  close(): Promise<void>;
}

export { HOST_VERSION } from './version';

export function createHostContext(options: { store?: CredentialTarget; clients?: ClientLogins | false; now?: () => number } = {}): HostContext {
  const store = options.store ?? new BridgeStore();
  const listener = new LoopbackListener();
  const login = new LoginService({
    loadConfig: () => loadConfig(),
    store,
    redirectUri: () => listener.redirectUri(),
    // Every login also lands in every local client that has the server configured.
    ...(options.clients === false ? {} : { clients: options.clients ?? new ClientLogins() }),
    ...(options.now ? { now: options.now } : {}),
    // The clients' own preflight, before anything opens (the bridge's store checks itself).
    ...(options.clients === false ? {} : { checkClientStores: (serverUrl: string, begin: { clients?: ClientName[] }) => checkClientStoresWritable(serverUrl, begin.clients) }),
  });
  // A callback that reaches the port itself (no extension capture: another browser, a CLI login)
  // completes the same way as one the extension forwards.
  listener.onCallback = (url) => login.complete(url, 'loopback');
  listener.onCallOff = (state, error) => login.callOff(state, error);
  return {
    version: HOST_VERSION,
    login,
    store,
    listener,
    loadConfig: () => loadConfig(),
    close: () => listener.close(),
  };
}

/**
 * A valid access token for a server from the bridge store, refreshed first when it expires within
 * the refresh margin. The refresh runs under a cross-process lock and starts from the store as it
 * is once the lock is held, so concurrent callers refresh once and share the result. The new
 * credential (with a rotated refresh token, if any) is written before the token is handed out.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { needsRefresh } from '../oauth/refresh-margin';
import type { CredentialTarget, StoredCredential } from '../stores/credential';

export interface AccessTokenResult {
  credential: StoredCredential;
  refreshed: boolean;
}

async function readUsable(store: CredentialTarget, serverUrl: string): Promise<StoredCredential> {
  const credential = await store.read(serverUrl);
  if (!credential) {
    throw new ProtocolError(ErrorCode.NotLoggedIn, `not logged in to ${serverUrl}; run: mcp-login-bridge login ${serverUrl}`);
  }
  if (credential.loginNeeded) {
    throw new ProtocolError(ErrorCode.LoginNeeded, `the login for ${serverUrl} must be renewed; run: mcp-login-bridge login ${serverUrl}`);
  }
  return credential;
}

export async function validAccessToken(store: CredentialTarget, serverUrl: string, now: () => number = Date.now): Promise<AccessTokenResult> {
  const first = await readUsable(store, serverUrl);
  if (!needsRefresh(first, now())) return { credential: first, refreshed: false };

  // Loaded only now: a valid token (the common case, on every MCP request) needs neither the
  // lock library nor the OAuth library.
  const [{ withRefreshLock }, { refreshCredential }] = await Promise.all([import('./refresh-lock'), import('../oauth/refresh')]);
  // While another process refreshes, its result may already be stored: take it, no lock needed.
  const freshInStore = async () => {
    const latest = await readUsable(store, serverUrl);
    return needsRefresh(latest, now()) ? undefined : { credential: latest, refreshed: false };
  };
  return withRefreshLock(serverUrl, async () => {
    // Another process may have refreshed while we waited for the lock.
    const current = await readUsable(store, serverUrl);
    if (!needsRefresh(current, now())) return { credential: current, refreshed: false };
    try {
      const refreshed = await refreshCredential(current, now);
      await store.write(refreshed);
      return { credential: refreshed, refreshed: true };
    } catch (err) {
      if (err instanceof ProtocolError && err.code === ErrorCode.LoginNeeded && current.refreshToken) {
        // A writer outside our lock (a client refreshing its own copy) may have rotated the token
        // under us: never mark a login dead on the strength of a token that is no longer stored.
        const latest = await store.read(serverUrl);
        if (latest && latest.refreshToken !== current.refreshToken && !needsRefresh(latest, now())) {
          return { credential: latest, refreshed: false };
        }
        if (latest?.refreshToken === current.refreshToken) await store.write({ ...current, loginNeeded: true, updatedAt: now() });
      }
      throw err;
    }
  }, { whileWaiting: freshInStore });
}

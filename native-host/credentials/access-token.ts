/**
 * A valid access token for a server from the bridge store, refreshed first when it expires within
 * the refresh margin. The new credential (with a rotated refresh token, if any) is written before
 * the token is handed out, so a crash in between never loses a refresh token.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { needsRefresh, refreshCredential } from '../oauth/refresh';
import type { CredentialTarget, StoredCredential } from '../stores/credential';

export interface AccessTokenResult {
  credential: StoredCredential;
  refreshed: boolean;
}

export async function validAccessToken(store: CredentialTarget, serverUrl: string, now: () => number = Date.now): Promise<AccessTokenResult> {
  const credential = await store.read(serverUrl);
  if (!credential) {
    throw new ProtocolError(ErrorCode.NotLoggedIn, `not logged in to ${serverUrl}; run: mcp-login-bridge login ${serverUrl}`);
  }
  if (credential.loginNeeded) {
    throw new ProtocolError(ErrorCode.LoginNeeded, `the login for ${serverUrl} must be renewed; run: mcp-login-bridge login ${serverUrl}`);
  }
  if (!needsRefresh(credential, now())) return { credential, refreshed: false };
  try {
    const refreshed = await refreshCredential(credential, now);
    await store.write(refreshed);
    return { credential: refreshed, refreshed: true };
  } catch (err) {
    // Remember a refused refresh token so status can say why, without retrying it every call.
    if (err instanceof ProtocolError && err.code === ErrorCode.LoginNeeded && credential.refreshToken) {
      await store.write({ ...credential, loginNeeded: true, updatedAt: now() });
    }
    throw err;
  }
}

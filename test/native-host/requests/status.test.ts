/** What `status` says about our own credential: everything but its secrets, and why it cannot refresh. */
import { describe, expect, it } from 'vitest';
import { summarize } from '../../../native-host/requests/status';
import type { StoredCredential } from '../../../native-host/stores/credential';

const credential: StoredCredential = {
  serverUrl: 'https://mcp.example/mcp',
  resource: 'https://mcp.example/mcp',
  issuer: 'https://accounts.google.com',
  clientId: 'client-1',
  clientSecret: 'SECRET-client',
  tokenEndpointAuthMethod: 'client_secret_post',
  accessToken: 'SECRET-access',
  tokenType: 'bearer',
  refreshToken: 'SECRET-refresh',
  expiresAt: 1_796_000_000_000,
  scope: 'openid',
  updatedAt: 1_795_000_000_000,
};

describe('status summary of a bridge credential', () => {
  it('refresh-capable: no reason, and no secret', () => {
    const s = summarize(credential);
    expect(s).toMatchObject({ serverUrl: credential.serverUrl, refreshCapable: true, store: 'bridge' });
    expect(s.reason).toBeUndefined();
    expect(JSON.stringify(s)).not.toContain('SECRET');
  });

  it('says whether no refresh token was issued or the provider refused it', () => {
    const { refreshToken: _dropped, ...withoutRefresh } = credential;
    expect(summarize(withoutRefresh as StoredCredential)).toMatchObject({ refreshCapable: false, reason: expect.stringMatching(/^no refresh token was issued at login/) });
    expect(summarize({ ...credential, loginNeeded: true })).toMatchObject({ refreshCapable: false, loginNeeded: true, reason: expect.stringMatching(/^the provider refused the refresh token/) });
    expect(JSON.stringify(summarize({ ...credential, loginNeeded: true }))).not.toContain('SECRET');
  });
});

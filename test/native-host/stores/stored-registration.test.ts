import { describe, expect, it } from 'vitest';
import { parseStoredCredential, serializeStoredCredential } from '../../../native-host/stores/bridge-store';
import type { StoredCredential } from '../../../native-host/stores/credential';
import { parseStoredRegistration, portlessRedirectUri, registrationCoversRedirect } from '../../../native-host/stores/stored-registration';

const base: StoredCredential = {
  serverUrl: 'https://mcp.example/mcp',
  resource: 'https://mcp.example/mcp',
  issuer: 'https://as.example',
  clientId: 'registered-1',
  tokenEndpointAuthMethod: 'none',
  accessToken: 'at',
  tokenType: 'Bearer',
  refreshToken: 'rt',
  expiresAt: 1,
  scope: '',
  updatedAt: 2,
};

describe('the registration kept in the bridge entry', () => {
  it('round-trips through the keychain secret', () => {
    const credential = { ...base, registration: { issuer: 'https://as.example', redirectUris: ['http://127.0.0.1/callback'], registeredAt: 5, clientSecretExpiresAt: 9 } };
    expect(parseStoredCredential(serializeStoredCredential(credential))).toEqual(credential);
  });

  it('a malformed registration is dropped, the login and its refresh token kept', () => {
    for (const registration of [
      'x',
      null,
      [],
      { issuer: 'https://as.example', redirectUris: [], registeredAt: 1 },
      { issuer: 'https://as.example', redirectUris: [1], registeredAt: 1 },
      { issuer: '', redirectUris: ['http://127.0.0.1/callback'], registeredAt: 1 },
      { issuer: 'https://as.example', redirectUris: ['http://127.0.0.1/callback'], registeredAt: -1 },
      { issuer: 'https://as.example', redirectUris: ['http://127.0.0.1/callback'], registeredAt: 1, clientSecretExpiresAt: 'soon' },
    ]) {
      const parsed = parseStoredCredential(JSON.stringify({ version: 1, ...base, registration }));
      expect(parsed.registration, JSON.stringify(registration)).toBeUndefined();
      expect(parsed.refreshToken).toBe('rt');
    }
    expect(parseStoredRegistration(undefined)).toBeUndefined();
  });

  it('covers a redirect URI exactly, or on any port through a port-less loopback URI', () => {
    const portless = { issuer: 'i', redirectUris: ['http://127.0.0.1/callback'], registeredAt: 0 };
    expect(registrationCoversRedirect(portless, 'http://127.0.0.1:49152/callback')).toBe(true);
    expect(registrationCoversRedirect(portless, 'http://127.0.0.1:49152/other')).toBe(false);
    expect(registrationCoversRedirect(portless, 'http://localhost:49152/callback')).toBe(false);
    const exact = { issuer: 'i', redirectUris: ['http://127.0.0.1:5000/callback'], registeredAt: 0 };
    expect(registrationCoversRedirect(exact, 'http://127.0.0.1:5000/callback')).toBe(true);
    expect(registrationCoversRedirect(exact, 'http://127.0.0.1:5001/callback')).toBe(false);
    const remote = { issuer: 'i', redirectUris: ['https://app.example/callback'], registeredAt: 0 };
    expect(registrationCoversRedirect(remote, 'https://app.example:8443/callback')).toBe(false);
    expect(portlessRedirectUri('http://127.0.0.1:49152/callback')).toBe('http://127.0.0.1/callback');
    expect(portlessRedirectUri('https://app.example/callback')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import {
  describeGeminiAdvice,
  geminiClientAdvice,
  geminiExpired,
  geminiUsability,
  GEMINI_EXPIRY_BUFFER_MS,
  type GeminiCredential,
} from '../../../../native-host/clients/gemini-cli/gemini-entry';
import type { GeminiServer } from '../../../../native-host/clients/gemini-cli/gemini-settings';

const NOW = 1_800_000_000_000;
const server = (oauth?: GeminiServer['config']['oauth']): GeminiServer => ({
  name: 'docs',
  url: 'http://127.0.0.1:7000/mcp',
  source: '/home/ann/.gemini/settings.json (user)',
  config: { name: 'docs', url: 'http://127.0.0.1:7000/mcp', transport: 'httpUrl', ...(oauth ? { oauth } : {}) },
});
const entry = (overrides: Partial<GeminiCredential> = {}): GeminiCredential => ({
  serverName: 'docs',
  accessToken: 'a',
  tokenType: 'Bearer',
  refreshToken: 'r',
  expiresAt: NOW + 3_600_000,
  clientId: 'client-1',
  tokenUrl: 'http://127.0.0.1:7001/token',
  ...overrides,
});

describe("Gemini's expiry buffer", () => {
  it('treats a token as expired 5 minutes before its expiry, and one without expiry as never expired', () => {
    expect(geminiExpired({ expiresAt: NOW + GEMINI_EXPIRY_BUFFER_MS + 1 }, NOW)).toBe(false);
    expect(geminiExpired({ expiresAt: NOW + GEMINI_EXPIRY_BUFFER_MS }, NOW)).toBe(true);
    expect(geminiExpired({ expiresAt: null }, NOW)).toBe(false);
  });
});

describe('geminiUsability', () => {
  it('is refresh-capable with a refresh token, a client id and a token URL', () => {
    expect(geminiUsability(entry(), server(), NOW)).toEqual({ loggedIn: true, refreshCapable: true });
  });

  it('says which field an expired entry lacks', () => {
    const expired = { expiresAt: NOW + 60_000 };
    expect(geminiUsability(entry({ ...expired, refreshToken: undefined }), server(), NOW)).toEqual({ loggedIn: false, refreshCapable: false, reason: 'no refresh token stored' });
    expect(geminiUsability(entry({ ...expired, clientId: undefined }), server(), NOW)).toEqual({ loggedIn: false, refreshCapable: false, reason: 'no client id stored' });
    expect(geminiUsability(entry({ ...expired, tokenUrl: undefined }), server(), NOW)).toMatchObject({ loggedIn: false, reason: 'no token URL (tokenUrl) stored' });
    // A configured client id (oauth.enabled) stands in for a stored one, as in Gemini.
    expect(geminiUsability(entry({ ...expired, clientId: undefined }), server({ enabled: true, clientId: 'client-1' }), NOW)).toEqual({ loggedIn: true, refreshCapable: true });
  });

  it('is not refresh-capable when a confidential client has no secret in the settings, or the settings name another client', () => {
    const confidential = { clientId: 'client-1', confidential: true };
    expect(geminiUsability(entry(), server(), NOW, confidential)).toMatchObject({ loggedIn: true, refreshCapable: false, reason: 'its settings lack the client secret its refresh needs' });
    // oauth without enabled: Gemini ignores it.
    expect(geminiUsability(entry(), server({ enabled: false, clientId: 'client-1', clientSecret: 's' }), NOW, confidential)).toMatchObject({ refreshCapable: false });
    expect(geminiUsability(entry(), server({ enabled: true, clientId: 'client-1', clientSecret: 's' }), NOW, confidential)).toEqual({ loggedIn: true, refreshCapable: true });
    expect(geminiUsability(entry(), server({ enabled: true, clientId: 'other' }), NOW)).toMatchObject({ refreshCapable: false, reason: 'its settings set another client id (other)' });
  });
});

describe('describeGeminiAdvice', () => {
  it('tells where the client secret goes, without the secret', () => {
    const advice = geminiClientAdvice(server(), { clientId: 'client-1', confidential: true });
    const text = describeGeminiAdvice(advice, server(), '~/.config/mcp-login-bridge/config.json')!;
    expect(text).toContain('mcpServers.docs in /home/ann/.gemini/settings.json');
    expect(text).toContain('"oauth": { "enabled": true, "clientId": "client-1", "clientSecret": "<the client secret, as in ~/.config/mcp-login-bridge/config.json>" }');
    expect(describeGeminiAdvice(geminiClientAdvice(server(), { clientId: 'client-1', confidential: false }), server(), 'x')).toBeUndefined();
  });
});

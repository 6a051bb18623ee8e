/** The stored expiry of a token response (credential-from-tokens.ts): always one the stores accept. */
import { describe, expect, it } from 'vitest';
import { credentialFromTokens } from '../../../native-host/oauth/credential-from-tokens';

const NOW = 1_800_000_000_000;
const ctx = { serverUrl: 'https://mcp.example/mcp', resource: 'https://mcp.example/mcp', issuer: 'https://issuer.example', clientId: 'c', tokenEndpointAuthMethod: 'none' as const, requestedScopes: ['mcp'] };
const expiry = (expires_in: number) =>
  credentialFromTokens(ctx, { access_token: 'A', token_type: 'bearer', expires_in } as never, NOW).expiresAt;

describe('credentialFromTokens expiry', () => {
  it('keeps an ordinary lifetime exactly', () => {
    expect(expiry(3600)).toBe(NOW + 3_600_000);
  });

  it('turns an absurd or fractional expires_in into a whole, safe epoch-ms expiry at most ten years ahead, never in the past', () => {
    for (const value of [1e300, 1e20, 0.0004, 1.23456, 0, -5]) {
      const at = expiry(value)!;
      expect(Number.isSafeInteger(at), String(value)).toBe(true);
      expect(at).toBeGreaterThanOrEqual(NOW);
      expect(at).toBeLessThanOrEqual(NOW + 10 * 365 * 86_400_000);
    }
    expect(expiry(1e300)).toBe(NOW + 10 * 365 * 86_400_000);
  });

  it('leaves no expiry when the provider gave none', () => {
    expect(credentialFromTokens(ctx, { access_token: 'A', token_type: 'bearer' } as never, NOW).expiresAt).toBeNull();
  });
});

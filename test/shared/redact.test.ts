import { describe, expect, it } from 'vitest';
import { redactCredential, redactSecret } from '../../shared/redact';

describe('redact', () => {
  it('never returns any part of the secret', () => {
    const secret = 'eyJhbGciOiJSUzI1NiJ9.payload.signature';
    const shown = redactSecret(secret);
    expect(shown).not.toContain(secret.slice(0, 4));
    expect(shown).toContain(String(secret.length));
    expect(redactSecret(undefined)).toBe('(none)');
  });
  it('redacts secret-named fields and keeps the rest', () => {
    const out = redactCredential({ serverUrl: 'https://x', accessToken: 'AAA', refreshToken: 'RRR', clientSecret: 'SSS', scope: 'openid' });
    expect(JSON.stringify(out)).not.toMatch(/AAA|RRR|SSS/);
    expect(out).toMatchObject({ serverUrl: 'https://x', scope: 'openid' });
  });
});

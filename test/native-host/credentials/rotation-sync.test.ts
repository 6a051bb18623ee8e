/** Which client copy is adopted and which are updated after a refresh (rotation-sync.ts). */
import { describe, expect, it } from 'vitest';
import { adoptCopy, isNewer, pickAdoptable, shouldUpdate, type ClientCopy } from '../../../native-host/credentials/rotation-sync';
import type { StoredCredential } from '../../../native-host/stores/credential';

const NOW = 1_800_000_000_000;
const ours: StoredCredential = {
  serverUrl: 'https://mcp.example/mcp',
  resource: 'https://mcp.example/mcp',
  issuer: 'https://issuer.example',
  clientId: 'client-1',
  tokenEndpointAuthMethod: 'none',
  accessToken: 'A0',
  tokenType: 'bearer',
  refreshToken: 'R0',
  expiresAt: NOW - 10_000,
  scope: 'mcp',
  updatedAt: NOW - 3_600_000,
};
const copy = (overrides: Partial<ClientCopy>): ClientCopy => ({
  client: 'codex',
  server: 'mock',
  issuer: ours.issuer,
  clientId: ours.clientId,
  accessToken: 'A1',
  refreshToken: 'R1',
  expiresAt: NOW + 3_600_000,
  ...overrides,
});

describe('newer', () => {
  it('is a strictly later known expiry; unknown or equal expiries order nothing', () => {
    expect(isNewer({ expiresAt: 2 }, { expiresAt: 1 })).toBe(true);
    expect(isNewer({ expiresAt: 1 }, { expiresAt: 1 })).toBe(false);
    expect(isNewer({ expiresAt: null }, { expiresAt: 1 })).toBe(false);
    expect(isNewer({ expiresAt: 2 }, { expiresAt: null })).toBe(false);
  });
});

describe('pickAdoptable', () => {
  it('takes the newest copy of the same login that holds another refresh token', () => {
    const older = copy({ client: 'claude-code', refreshToken: 'R1', expiresAt: NOW });
    const newest = copy({ refreshToken: 'R2', expiresAt: NOW + 3_600_000 });
    expect(pickAdoptable(ours, [older, newest])).toBe(newest);
    expect(pickAdoptable(ours, [newest, older])).toBe(newest);
  });

  it('leaves alone copies with our token, an older or unknown expiry, no refresh token, or another client id or issuer', () => {
    expect(pickAdoptable(ours, [copy({ refreshToken: 'R0' })])).toBeUndefined();
    expect(pickAdoptable(ours, [copy({ expiresAt: NOW - 20_000 })])).toBeUndefined();
    expect(pickAdoptable(ours, [copy({ expiresAt: null })])).toBeUndefined();
    expect(pickAdoptable(ours, [copy({ refreshToken: undefined })])).toBeUndefined();
    expect(pickAdoptable(ours, [copy({ clientId: 'codex-own-dcr-client' })])).toBeUndefined();
    expect(pickAdoptable(ours, [copy({ issuer: undefined })])).toBeUndefined();
  });

  it('adopting keeps what a refresh needs and takes the tokens and expiry', () => {
    expect(adoptCopy(ours, copy({}), NOW)).toEqual({ ...ours, accessToken: 'A1', refreshToken: 'R1', expiresAt: NOW + 3_600_000, updatedAt: NOW });
    // A copy without an access token lends only its refresh token: ours stays expired and is refreshed.
    expect(adoptCopy(ours, copy({ accessToken: undefined }), NOW)).toMatchObject({ accessToken: 'A0', refreshToken: 'R1', expiresAt: ours.expiresAt });
  });
});

describe('shouldUpdate', () => {
  const rotated = { ...ours, accessToken: 'A9', refreshToken: 'R9', expiresAt: NOW + 3_600_000 };

  it('writes nothing when the refresh token did not change (a provider that does not rotate)', () => {
    const final = { ...ours, accessToken: 'A9', expiresAt: NOW + 3_600_000 };
    expect(shouldUpdate(copy({ refreshToken: 'R0' }), { current: ours, used: ours, final })).toBe(false);
    expect(shouldUpdate(copy({ refreshToken: 'Rx', expiresAt: NOW - 99_000 }), { current: ours, used: ours, final })).toBe(false);
  });

  it('after a rotation, updates copies holding a spent token or an older one, and leaves the rest alone', () => {
    const outcome = { current: ours, used: ours, final: rotated };
    expect(shouldUpdate(copy({ refreshToken: 'R0' }), outcome)).toBe(true); // the token we used
    expect(shouldUpdate(copy({ refreshToken: 'Rold', expiresAt: NOW - 99_000 }), outcome)).toBe(true); // left behind earlier
    expect(shouldUpdate(copy({ refreshToken: 'R9' }), outcome)).toBe(false); // already live
    expect(shouldUpdate(copy({ refreshToken: 'Rnew', expiresAt: NOW + 7_200_000 }), outcome)).toBe(false); // moved on by itself
    expect(shouldUpdate(copy({ refreshToken: 'Rx', expiresAt: null }), outcome)).toBe(false); // cannot tell
    expect(shouldUpdate(copy({ refreshToken: 'Rold', expiresAt: NOW - 99_000, clientId: 'other' }), outcome)).toBe(false); // another grant
    expect(shouldUpdate(copy({ refreshToken: undefined }), outcome)).toBe(false); // never had one
  });

  it('after adopting a copy, updates copies still holding our old token, not the adopted one', () => {
    const used = adoptCopy(ours, copy({}), NOW);
    expect(shouldUpdate(copy({ client: 'claude-code', refreshToken: 'R0' }), { current: ours, used, final: used })).toBe(true);
    expect(shouldUpdate(copy({ refreshToken: 'R1' }), { current: ours, used, final: used })).toBe(false);
    expect(shouldUpdate(copy({ refreshToken: 'R1' }), { current: ours, used, final: rotated })).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { isValidProof, newNonce, proofFor } from '../../../native-host/bridge/bridge-proof';

describe('bridge proof', () => {
  it("is accepted only from a holder of the secret, for the CLI's own nonce", () => {
    const nonce = newNonce();
    const proof = proofFor('SECRET', nonce)!;
    expect(isValidProof('SECRET', nonce, proof)).toBe(true);
    expect(isValidProof('OTHER', nonce, proof)).toBe(false);
    expect(isValidProof('SECRET', newNonce(), proof)).toBe(false);
    expect(isValidProof('SECRET', nonce, undefined)).toBe(false);
    expect(isValidProof('SECRET', nonce, `${proof}x`)).toBe(false);
  });

  it('answers nothing to a nonce not shaped like ours (no oracle for arbitrary input)', () => {
    expect(proofFor('SECRET', undefined)).toBeUndefined();
    expect(proofFor('SECRET', 'short')).toBeUndefined();
    expect(proofFor('SECRET', `${'a'.repeat(30)}\r\nx-injected: 1`)).toBeUndefined();
    expect(proofFor('SECRET', 'a'.repeat(87))).toBeUndefined();
  });
});

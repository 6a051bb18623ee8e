/**
 * The host's proof to a connecting CLI that it is the process that wrote the runtime file. The CLI
 * authenticates itself with the file's secret; without this, whatever listens on the file's port
 * would be trusted back: after a host dies without removing its file (SIGKILL, a crash), another
 * local user could take the freed port and feed the CLI a sign-in address of their choosing. The
 * CLI sends a fresh nonce; only a holder of the secret can answer HMAC-SHA256(secret, nonce).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A nonce as the CLI makes it, and the only shape the host answers. */
const NONCE = /^[A-Za-z0-9_-]{22,86}$/;

export function newNonce(): string {
  return randomBytes(32).toString('base64url');
}

/** The host's answer to `nonce`, or undefined for a nonce not shaped like ours. */
export function proofFor(secret: string, nonce: string | undefined): string | undefined {
  if (nonce === undefined || !NONCE.test(nonce)) return undefined;
  return createHmac('sha256', secret).update(`mcp-login-bridge host proof\n${nonce}`).digest('base64url');
}

/** Whether `given` is the right answer to `nonce`, compared in constant time. */
export function isValidProof(secret: string, nonce: string, given: string | undefined): boolean {
  const expected = proofFor(secret, nonce);
  if (expected === undefined || given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Shows that a secret is there without showing it: its kind and length only. Used wherever a
 * credential is displayed (the demo, status details); never print a secret any other way.
 */
export function redactSecret(value: string | undefined): string {
  if (!value) return '(none)';
  return `<redacted, ${value.length} chars>`;
}

const SECRET_FIELDS = new Set(['accessToken', 'refreshToken', 'clientSecret', 'access_token', 'refresh_token', 'client_secret', 'id_token', 'code', 'code_verifier']);

/** A copy of an object with every secret-named field redacted, for display. */
export function redactCredential<T extends object>(value: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELDS.has(k) && typeof v === 'string' ? redactSecret(v) : v]));
}

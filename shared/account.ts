/**
 * Which account a login is for ("demo@example.com"), as `gh auth status` and `gcloud auth list`
 * show it. It comes from the provider (ID token claims or userinfo), is stored with the login and
 * travels to the CLI and the popup: one check for all three, so a provider's odd value (a
 * multi-kilobyte name, control characters that would drive a terminal) is dropped everywhere.
 * It is a name for people, never a credential: nothing is decided on it.
 */

/** RFC 5321 bounds a mailbox at 254 characters; preferred_username and sub fit too. */
export const MAX_ACCOUNT_LENGTH = 254;

/** C0/C1 controls, DEL, and bidi overrides: none belongs in an account name shown to a person. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The value as an account name, or undefined when it cannot be one (wrong type, empty, too long, unsafe). */
export function accountName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim();
  if (!name || name.length > MAX_ACCOUNT_LENGTH || UNSAFE.test(name)) return undefined;
  return name;
}

/**
 * The account named by OpenID Connect claims: the email address people recognise, else the
 * user name, else the subject identifier (stable, but often a number).
 */
export function accountFromClaims(claims: Record<string, unknown> | undefined): string | undefined {
  if (!claims) return undefined;
  return accountName(claims.email) ?? accountName(claims.preferred_username) ?? accountName(claims.sub);
}

/** Whether the claims name the account in a way people recognise (more than a bare `sub`). */
export function hasReadableAccount(claims: Record<string, unknown> | undefined): boolean {
  return Boolean(claims && (accountName(claims.email) ?? accountName(claims.preferred_username)));
}

/**
 * When a stored access token counts as expired. Its own module so that `token` with a valid
 * credential does not load the OAuth library (refresh.ts is imported only to refresh).
 */
import type { StoredCredential } from '../stores/credential';

/** Refresh when the access token expires within this window, so a token handed out outlives the request it is for. */
export const REFRESH_MARGIN_MS = 60_000;

export function needsRefresh(credential: StoredCredential, now: number): boolean {
  return credential.expiresAt !== null && credential.expiresAt - now <= REFRESH_MARGIN_MS;
}

/**
 * Which copy of a login holds the live refresh token, and which copies a refresh leaves holding a
 * spent one (DESIGN.md §3.3: "a rotated refresh token written by another process (or by Codex) is
 * used, never a stale one"). Pure decisions; `access-token.ts` acts on them.
 *
 * Providers that rotate refresh tokens with reuse detection (Okta, Auth0, Atlassian; PROVIDERS.md)
 * keep exactly one refresh token of a grant alive: the one issued last. Presenting any earlier one
 * revokes the whole grant, for every client that shares it. So before refreshing we must start
 * from the newest token any local copy holds, and after a rotation every copy still holding an
 * earlier token must get the new one before its client refreshes with it.
 *
 * "Newer" — what the formats let us compare. Codex stores only `expires_at`, Claude Code only
 * `expiresAt` (epoch ms of the access token's expiry); neither records when a token was issued.
 * A refresh issues the access token and the refresh token together, and one provider gives one
 * client the same access token lifetime each time, so a later expiry means a later refresh, hence a
 * later refresh token. Hence: copy A is newer than B when both expiries are known and A's is
 * strictly later. An unknown expiry (null: the provider sent no `expires_in`) or an equal one
 * orders nothing, and an unordered copy is neither adopted nor overwritten (unless it holds a token
 * we know is spent). Our own `updatedAt` is not used: the clients have nothing to compare it with.
 *
 * Only copies of the same login count: same client id and same issuer (a copy from a client's own
 * login with another client id belongs to another grant, and its tokens would be refused with ours).
 */
import type { ClientName } from '../../shared/protocol';
import type { StoredCredential } from '../stores/credential';

/** One client's copy of a login, reduced to what comparing and syncing need. */
export interface ClientCopy {
  client: ClientName;
  /** The server's name in that client's config (for messages). */
  server: string;
  issuer?: string;
  clientId?: string;
  accessToken?: string;
  refreshToken?: string;
  /** Epoch ms; null when the copy records no expiry. */
  expiresAt: number | null;
}

/** The credentials of one `token` run: what our store held, what was refreshed from, what resulted. */
export interface RefreshOutcome {
  /** Our entry as read under the lock. */
  current: StoredCredential;
  /** What the refresh started from: `current`, or `current` with an adopted copy's tokens. */
  used: StoredCredential;
  /** What was stored and handed out. */
  final: StoredCredential;
}

function sameLogin(copy: ClientCopy, ours: StoredCredential): boolean {
  return copy.clientId === ours.clientId && copy.issuer === ours.issuer;
}

/** Strictly later known expiry; see the module comment for why expiry stands for issue time. */
export function isNewer(a: { expiresAt: number | null }, b: { expiresAt: number | null }): boolean {
  return a.expiresAt !== null && b.expiresAt !== null && a.expiresAt > b.expiresAt;
}

/**
 * The copy to adopt instead of our entry: same login, another refresh token, newer than ours; the
 * newest of them when several are.
 */
export function pickAdoptable(ours: StoredCredential, copies: readonly ClientCopy[]): ClientCopy | undefined {
  let best: ClientCopy | undefined;
  for (const copy of copies) {
    if (!copy.refreshToken || copy.refreshToken === ours.refreshToken || !sameLogin(copy, ours)) continue;
    if (isNewer(copy, ours) && (!best || isNewer(copy, best))) best = copy;
  }
  return best;
}

/** Our entry carrying an adopted copy's tokens (everything a refresh needs besides them stays ours). */
export function adoptCopy(ours: StoredCredential, copy: ClientCopy, now: number): StoredCredential {
  return {
    ...ours,
    refreshToken: copy.refreshToken!,
    // Without an access token the copy only lends its refresh token: ours stays, expired, so it is refreshed.
    ...(copy.accessToken ? { accessToken: copy.accessToken, expiresAt: copy.expiresAt } : {}),
    updatedAt: now,
  };
}

/**
 * Whether a client's copy must get `final`'s tokens. Only when the refresh token changed (a
 * rotation we caused, or one we adopted): a provider that does not rotate (Google) leaves every
 * copy's refresh token valid, so nothing is written. Then a copy is updated when it holds a token
 * that is now spent (ours before, or the one refreshed from), or an unrelated token of the same
 * login that is older than the one refreshed from (a copy left behind by an earlier rotation: its
 * client's next refresh would present a spent token and get the grant revoked). A copy that already
 * holds `final`'s refresh token, or one that moved on by itself (not older), is left alone.
 */
export function shouldUpdate(copy: ClientCopy, { current, used, final }: RefreshOutcome): boolean {
  if (!final.refreshToken || final.refreshToken === current.refreshToken) return false;
  if (!copy.refreshToken || copy.refreshToken === final.refreshToken) return false;
  if (copy.refreshToken === current.refreshToken || copy.refreshToken === used.refreshToken) return true;
  return sameLogin(copy, final) && isNewer(used, copy);
}

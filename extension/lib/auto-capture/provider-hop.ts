/**
 * A provider hop of a chain: whether a URL is an authorization request (not one of the provider's
 * other pages of the same origin), and which of a provider rule's parameters it still lacks.
 */
import { applyRule, type ProviderRule } from '../../../shared/providers';

/** The names of the parameters `rule` would still change in `url` (empty: nothing missing). */
export function missingParams(url: string, rule: Pick<ProviderRule, 'params' | 'addScopes'>): string[] {
  try {
    const u = new URL(url);
    // Only the authorization request itself: the provider's own pages of the same origin are not.
    if (!u.searchParams.has('response_type') || !u.searchParams.has('client_id')) return [];
    return applyRule(u, rule);
  } catch {
    return [];
  }
}

export function isAuthorizationRequest(url: string): boolean {
  try {
    const u = new URL(url);
    return u.searchParams.has('response_type') && u.searchParams.has('client_id');
  } catch {
    return false;
  }
}

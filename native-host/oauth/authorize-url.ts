/**
 * The authorize URL a login sends the browser to (RFC 6749 §4.1.1 with PKCE, RFC 7636, and the
 * resource indicator, RFC 8707), plus what the provider needs to issue a refresh token.
 */
import type * as oauth from 'oauth4webapi';
import { BUILTIN_RULES, applyRule, findRule, type ProviderRule } from '../../shared/providers';

/** Id reported when the only reason for `offline_access` is that the server lists it. */
export const LISTED_OFFLINE_ACCESS_RULE = 'offline-access-listed';

export interface AuthorizeUrlInput {
  as: oauth.AuthorizationServer;
  clientId: string;
  redirectUri: string;
  state: string;
  codeChallenge: string;
  scopes: string[];
  resource: string;
  /** User and config rules; they win over the built-in ones. */
  extraRules: ProviderRule[];
  disabledRules: string[];
}

export function buildAuthorizeUrl(input: AuthorizeUrlInput): { url: URL; appliedRules: string[] } {
  const url = new URL(input.as.authorization_endpoint!);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', input.clientId);
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('state', input.state);
  url.searchParams.set('code_challenge', input.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  if (input.scopes.length) url.searchParams.set('scope', input.scopes.join(' '));
  url.searchParams.set('resource', input.resource);

  const appliedRules: string[] = [];
  const rule = findRule([...input.extraRules, ...BUILTIN_RULES], [input.as.issuer, url.href], new Set(input.disabledRules));
  if (rule) {
    applyRule(url, rule);
    appliedRules.push(rule.id);
  }
  // MCP 2026-07-28: a client MAY ask for offline_access when the server lists it; most
  // providers that list it issue refresh tokens only when asked.
  const listed = Array.isArray(input.as.scopes_supported) && input.as.scopes_supported.includes('offline_access');
  if (listed && !input.disabledRules.includes(LISTED_OFFLINE_ACCESS_RULE) && applyRule(url, { params: {}, addScopes: ['offline_access'] }).length) {
    appliedRules.push(LISTED_OFFLINE_ACCESS_RULE);
  }
  return { url, appliedRules };
}

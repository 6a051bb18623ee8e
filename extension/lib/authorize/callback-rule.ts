/**
 * The declarativeNetRequest rule that captures a login's callback: a main-frame request to exactly
 * the flow's loopback redirect URI is redirected to the extension's callback page, query and all,
 * before the request leaves the browser. So the loopback port never sees the code, and a server-side
 * 302 from the provider is caught too (webNavigation would miss it).
 */

/** The subset of a DNR rule this module builds; structurally a `declarativeNetRequest.Rule`. */
export interface CallbackRule {
  id: number;
  priority: number;
  action: { type: 'redirect'; redirect: { regexSubstitution: string } };
  condition: {
    regexFilter: string;
    isUrlFilterCaseSensitive: boolean;
    resourceTypes: ['main_frame'];
    tabIds?: number[];
  };
}

/**
 * Escapes a string for use as a literal inside an RE2 pattern (Chromium's regexFilter engine) or
 * a JS RegExp (Firefox's). Only the characters that are special outside a character class are
 * escaped: RE2 accepts a backslash before them, and so does a JS RegExp even in `u` mode (which
 * would reject a needless `\-`).
 */
export function escapeRegex(literal: string): string {
  return literal.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/**
 * `^<redirectUri>\?(.*)$`: the exact URI, then its query captured whole. The anchors and the
 * mandatory `?` keep it off other ports (`:8080` vs `:80801`), longer paths (`/callback/x`) and
 * prefixes of the URI. A callback always carries a query (code or error, and state).
 */
export function callbackRegexFilter(redirectUri: string): string {
  return `^${escapeRegex(redirectUri)}\\?(.*)$`;
}

export interface CallbackRuleOptions {
  id: number;
  /** Normalized (`URL.href`) loopback redirect URI: the form the browser requests. */
  redirectUri: string;
  /** `browser.runtime.getURL('/callback.html')`. */
  callbackPageUrl: string;
  /** The flow's tab; the rule then applies to that tab only. */
  tabId?: number;
}

export function buildCallbackRule(options: CallbackRuleOptions): CallbackRule {
  return {
    id: options.id,
    // Above any future rule for the same URL (automatic capture only rewrites authorize requests).
    priority: 100,
    action: { type: 'redirect', redirect: { regexSubstitution: `${options.callbackPageUrl}?\\1` } },
    condition: {
      regexFilter: callbackRegexFilter(options.redirectUri),
      // Paths are case-sensitive; Chromium's default is insensitive.
      isUrlFilterCaseSensitive: true,
      resourceTypes: ['main_frame'],
      ...(options.tabId === undefined ? {} : { tabIds: [options.tabId] }),
    },
  };
}

/** Whether an existing rule is one of ours redirecting to the callback page (for cleanup). */
export function isCallbackRule(rule: { action?: { redirect?: { regexSubstitution?: string } } }, callbackPageUrl: string): boolean {
  return rule.action?.redirect?.regexSubstitution?.startsWith(`${callbackPageUrl}?`) === true;
}

/** The smallest positive rule id not in use (DNR ids must be integers ≥ 1). */
export function lowestFreeRuleId(usedIds: Iterable<number>): number {
  const used = new Set(usedIds);
  let id = 1;
  while (used.has(id)) id++;
  return id;
}

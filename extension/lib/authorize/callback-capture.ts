/**
 * Arms and disarms callback capture rules as declarativeNetRequest SESSION rules: they vanish with
 * the browser session, like the flows they serve, and never touch the user's static or dynamic rules.
 *
 * The declarativeNetRequest rule that captures a login's callback: a main-frame request to exactly
 * the flow's loopback redirect URI is redirected to the extension's callback page, query and all,
 * before the request leaves the browser. So the loopback port never sees the code, and a server-side
 * 302 from the provider is caught too (webNavigation would miss it).
 */

// The rule.

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

// Arming and disarming it.

/** The part of `browser.declarativeNetRequest` used here, so tests can pass a fake. */
export interface SessionRulesApi {
  getSessionRules(): Promise<Array<{ id: number; action?: { redirect?: { regexSubstitution?: string } } }>>;
  updateSessionRules(options: { addRules?: CallbackRule[]; removeRuleIds?: number[] }): Promise<void>;
}

export class CallbackCapture {
  private readonly api: SessionRulesApi;
  private readonly callbackPageUrl: string;
  /**
   * Reading the used ids and adding a rule are two calls; two flows armed at once would pick the
   * same id between them. All rule changes therefore run one after another.
   */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(api: SessionRulesApi, callbackPageUrl: string) {
    this.api = api;
    this.callbackPageUrl = callbackPageUrl;
  }

  /** Adds the capture rule for `redirectUri` (in `tabId` only, if given); returns its rule id. */
  arm(redirectUri: string, tabId?: number): Promise<number> {
    return this.serialize(async () => {
      const used = (await this.api.getSessionRules()).map((r) => r.id);
      const id = lowestFreeRuleId(used);
      await this.api.updateSessionRules({
        addRules: [buildCallbackRule({ id, redirectUri, callbackPageUrl: this.callbackPageUrl, tabId })],
      });
      return id;
    });
  }

  disarm(ruleId: number): Promise<void> {
    return this.serialize(() => this.api.updateSessionRules({ removeRuleIds: [ruleId] }));
  }

  /**
   * Removes capture rules a previous service worker left behind: their flows lived in its memory
   * and are gone, so the rules would only divert callbacks nobody can complete.
   */
  removeStaleRules(): Promise<number> {
    return this.serialize(async () => {
      const stale = (await this.api.getSessionRules()).filter((r) => isCallbackRule(r, this.callbackPageUrl)).map((r) => r.id);
      if (stale.length) await this.api.updateSessionRules({ removeRuleIds: stale });
      return stale.length;
    });
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

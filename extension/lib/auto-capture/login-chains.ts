/**
 * Automatic capture of other tools' logins (DESIGN.md 3.2): follows native-app login chains tab by
 * tab and makes the provider hop of each chain carry the provider rule's parameters.
 *
 * - A chain starts in a tab at a main-frame request that is a native app's authorization request
 *   (tool-authorize-request.ts), seen at `webNavigation.onBeforeNavigate`, before the request leaves.
 * - The tab's rewrite rules (rewrite-rules.ts) are armed at once, scoped to the tab: later hops
 *   (an MCP server's own authorization server forwarding to Google with ITS https callback) carry
 *   no loopback redirect, so only the tab marks them as part of the chain.
 * - Every provider request the chain actually sends is checked (`webRequest.onSendHeaders`, after
 *   the rules ran); if one still lacks the parameters (the rules lost a race, or the rule needs a
 *   merge the rules cannot do), the tab is re-navigated once with the exact merge. The provider
 *   has then received an authorization request but issued nothing.
 * - The chain ends at its loopback callback (observed with `webRequest.onBeforeRequest`: the
 *   request goes on to the tool, which holds the PKCE verifier and finishes its own login), when
 *   its tab closes, after 10 minutes, or when the user takes the tab elsewhere (a typed address,
 *   a bookmark, back/forward: `webNavigation.onCommitted`), so a website's own sign-in later in
 *   that tab is not taken for part of the chain.
 *
 * Tabs running a login the extension itself started (login-flows.ts) are left to that flow.
 */
import { applyRule, findRule, type ProviderRule } from '../../../shared/providers';
import { LIMITS } from '../../../shared/protocol';
import type { ActivityStore, ChainOutcome, ChainRecord } from './activity-log';
import { isCallbackFor, parseToolAuthorizeRequest, type ToolAuthorizeRequest } from './tool-authorize-request';
import { RULES_PER_PROVIDER, buildChainRules, buildDirectRule, type RewriteRule } from './rewrite-rules';

/** The part of `browser.declarativeNetRequest` used here. */
export interface RewriteRulesApi {
  getSessionRules(): Promise<Array<{ id: number }>>;
  updateSessionRules(options: { addRules?: RewriteRule[]; removeRuleIds?: number[] }): Promise<void>;
  /** Chromium and Firefox have it; without it every regex is assumed to fit. */
  isRegexSupported?(options: { regex: string }): Promise<{ isSupported: boolean; reason?: string }>;
}

export interface LoginChainsDeps {
  rulesApi: RewriteRulesApi;
  activity: ActivityStore;
  navigate(tabId: number, url: string): Promise<void>;
  /** Whether a login the extension started runs in this tab. */
  ownsTab(tabId: number): boolean;
  now(): number;
  newId(): string;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /** Diagnostics: ids, origins and parameter names only. */
  log?: (message: string) => void;
  chainTtlMs?: number;
}

/** Session rule ids: standing per-origin rules, then per-chain slots. Other ids are not ours. */
export const DIRECT_RULE_IDS = { from: 10_000, to: 10_999 } as const;
export const CHAIN_RULE_IDS = { from: 20_000, slotSize: 400, slots: 50 } as const;
const MAX_ORIGINS = CHAIN_RULE_IDS.slotSize / RULES_PER_PROVIDER;
const CHAIN_BAND_BASE = 1000;

export function isOurRuleId(id: number): boolean {
  return (
    (id >= DIRECT_RULE_IDS.from && id <= DIRECT_RULE_IDS.to) ||
    (id >= CHAIN_RULE_IDS.from && id < CHAIN_RULE_IDS.from + CHAIN_RULE_IDS.slotSize * CHAIN_RULE_IDS.slots)
  );
}

interface Chain {
  tabId: number;
  slot: number;
  ruleIds: number[];
  request: ToolAuthorizeRequest;
  record: ChainRecord;
  timer: unknown;
  renavigated: boolean;
  /** The parameter names the provider hop needed when first seen, before the rules ran. */
  needed: string[] | null;
  /**
   * The chain's own navigation (its start, or our re-navigation) has not committed yet: that
   * commit is the chain's, whatever its transition (a tool's URL opened from a terminal can
   * commit as "typed").
   */
  ownCommitPending: boolean;
}

/** What `webNavigation.onCommitted` says about a navigation (Chromium and Firefox both give these). */
export interface CommitDetails {
  tabId: number;
  frameId: number;
  transitionType?: string;
  transitionQualifiers?: string[];
}

/**
 * Transitions that mean the user, not the login's pages, chose where the tab goes next. A reload
 * is not one: reloading the consent page is still the same login.
 */
const USER_TRANSITIONS = new Set(['typed', 'auto_bookmark', 'generated', 'keyword', 'keyword_generated', 'start_page']);
const USER_QUALIFIERS = new Set(['from_address_bar', 'forward_back']);

export function isUserNavigation(details: Pick<CommitDetails, 'transitionType' | 'transitionQualifiers'>): boolean {
  return USER_TRANSITIONS.has(details.transitionType ?? '') || (details.transitionQualifiers ?? []).some((q) => USER_QUALIFIERS.has(q));
}

/** One (rule, origin) pair: each origin of a rule gets its own rules. */
interface Entry {
  rule: ProviderRule;
  origin: string;
}

export class LoginChains {
  private readonly deps: LoginChainsDeps;
  private readonly chains = new Map<number, Chain>();
  private rules: ProviderRule[] = [];
  private entries: Entry[] = [];
  /** Regexes the browser refused (too large): rules using them are left out. */
  private readonly unsupported = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(deps: LoginChainsDeps) {
    this.deps = deps;
  }

  /**
   * At worker start: removes a previous worker's rules (its chains are gone), marks its chains
   * interrupted, and installs `rules`. Chains begun meanwhile arm after this (one queue).
   */
  start(loadRules: () => Promise<readonly ProviderRule[]>): Promise<void> {
    const started = this.serialize(async () => {
      const stale = (await this.deps.rulesApi.getSessionRules()).map((r) => r.id).filter(isOurRuleId);
      if (stale.length) await this.deps.rulesApi.updateSessionRules({ removeRuleIds: stale });
      await this.install(await loadRules());
    });
    void this.deps.activity.interruptWaiting(this.deps.now()).catch((e: unknown) => this.deps.log?.(`activity: ${String(e)}`));
    return started;
  }

  /** Replaces the rules (in winning order) with `rules`; chains begun from now on use them. */
  setRules(rules: readonly ProviderRule[]): Promise<void> {
    return this.serialize(() => this.install(rules));
  }

  private async install(rules: readonly ProviderRule[]): Promise<void> {
    this.rules = [...rules];
    this.entries = rules.flatMap((rule) => rule.origins.map((origin) => ({ rule, origin }))).slice(0, MAX_ORIGINS);
    await this.checkRegexes([...this.directRules(), ...this.chainRulesFor(-1, 0)]);
    const old = (await this.deps.rulesApi.getSessionRules()).map((r) => r.id).filter((id) => id >= DIRECT_RULE_IDS.from && id <= DIRECT_RULE_IDS.to);
    await this.deps.rulesApi.updateSessionRules({ removeRuleIds: old, addRules: this.directRules() });
    this.deps.log?.(`automatic capture: ${rules.length} provider rule(s) active`);
  }

  /** `webNavigation.onBeforeNavigate`: the earliest moment, before the request leaves. */
  handleBeforeNavigate(details: { tabId: number; frameId: number; url: string }): void {
    if (details.frameId !== 0 || details.tabId < 0) return;
    this.maybeStart(details.tabId, details.url);
  }

  /** `webRequest.onBeforeRequest` (main frame): the callback, provider hops, chains begun by a redirect. */
  handleBeforeRequest(details: { tabId: number; url: string; type: string }): void {
    if (details.type !== 'main_frame' || details.tabId < 0) return;
    const chain = this.chains.get(details.tabId);
    if (!chain) {
      this.maybeStart(details.tabId, details.url);
      return;
    }
    if (isCallbackFor(details.url, chain.request.redirectUri)) {
      const error = new URL(details.url).searchParams.has('error');
      void this.end(chain, error ? 'callback-error' : 'callback');
      return;
    }
    const rule = this.providerRule(details.url);
    if (rule && chain.needed === null && isAuthorizationRequest(details.url)) chain.needed = missingParams(details.url, rule);
  }

  /** `webRequest.onSendHeaders` (main frame): what actually left, after the rules. */
  handleSendHeaders(details: { tabId: number; url: string; type: string }): void {
    if (details.type !== 'main_frame') return;
    const chain = this.chains.get(details.tabId);
    if (!chain) return;
    const rule = this.providerRule(details.url);
    if (!rule || !isAuthorizationRequest(details.url)) return;
    const origin = new URL(details.url).origin;
    const missing = missingParams(details.url, rule);
    const needed = chain.needed ?? missing;
    chain.record = {
      ...chain.record,
      provider: { ruleId: rule.id, name: rule.name, origin },
      paramsAdded: needed,
      ...(needed.length ? { appliedBy: missing.length ? 'renavigation' : chain.record.appliedBy ?? 'rule' } : {}),
    };
    if (missing.length && !chain.renavigated) {
      chain.renavigated = true;
      chain.ownCommitPending = true;
      const fixed = new URL(details.url);
      applyRule(fixed, rule);
      this.deps.log?.(`chain ${chain.record.id}: ${rule.id} request left without ${missing.join(', ')}; re-opening it once with them`);
      this.deps.navigate(chain.tabId, fixed.href).catch((e: unknown) => this.deps.log?.(`chain ${chain.record.id}: re-navigation failed: ${String(e)}`));
    } else if (missing.length) {
      this.deps.log?.(`chain ${chain.record.id}: ${rule.id} request still lacks ${missing.join(', ')} after one re-navigation; left alone`);
    }
    void this.save(chain);
  }

  /**
   * `webNavigation.onCommitted`: after the chain's own navigation, a top-level navigation the user
   * chose ends the chain. Rules act when a request leaves, before any commit, so a commit is the
   * earliest point where a user's navigation can be told from the login's own pages.
   */
  handleCommitted(details: CommitDetails): void {
    if (details.frameId !== 0) return;
    const chain = this.chains.get(details.tabId);
    if (!chain) return;
    if (chain.ownCommitPending) {
      chain.ownCommitPending = false;
      return;
    }
    if (isUserNavigation(details)) void this.end(chain, 'left');
  }

  handleTabRemoved(tabId: number): void {
    const chain = this.chains.get(tabId);
    if (chain) void this.end(chain, 'tab-closed');
  }

  /** Active chains (for tests and diagnostics). */
  get activeTabs(): number[] {
    return [...this.chains.keys()];
  }

  private maybeStart(tabId: number, url: string): void {
    // The cheap test first: this runs for every main-frame navigation.
    const request = parseToolAuthorizeRequest(url);
    if (!request || this.deps.ownsTab(tabId)) return;
    const existing = this.chains.get(tabId);
    // The same login again in its tab (a reload, our own re-navigation): the chain goes on.
    if (existing && existing.request.redirectUri === request.redirectUri) return;
    if (existing) void this.end(existing, 'interrupted');
    const slot = this.freeSlot();
    if (slot === null) {
      this.deps.log?.('automatic capture: too many chains at once; this one is not followed');
      return;
    }
    const now = this.deps.now();
    const chain: Chain = {
      tabId,
      slot,
      ruleIds: [],
      request,
      renavigated: false,
      needed: null,
      ownCommitPending: true,
      record: {
        id: this.deps.newId(),
        startedAt: now,
        clientId: request.clientId.slice(0, 200),
        redirectPort: request.redirectPort,
        serverOrigin: request.serverOrigin,
        paramsAdded: [],
        outcome: 'waiting',
      },
      timer: this.deps.setTimer(() => void this.end(chain, 'expired'), this.deps.chainTtlMs ?? LIMITS.flowTtlMs),
    };
    this.chains.set(tabId, chain);
    this.deps.log?.(`chain ${chain.record.id}: started in tab ${tabId} at ${request.serverOrigin} for port ${request.redirectPort}`);
    // Armed first thing: the tab's first request may be the provider hop itself.
    void this.serialize(async () => {
      if (this.chains.get(tabId) !== chain) return; // ended before its turn
      const rules = this.chainRulesFor(tabId, slot);
      chain.ruleIds = rules.map((r) => r.id);
      await this.deps.rulesApi.updateSessionRules({ addRules: rules, removeRuleIds: chain.ruleIds });
    }).catch((e: unknown) =>
      this.deps.log?.(`chain ${chain.record.id}: could not arm its rules: ${String(e)}`),
    );
    void this.save(chain);
  }

  private async end(chain: Chain, outcome: ChainOutcome): Promise<void> {
    if (this.chains.get(chain.tabId) !== chain) return;
    this.chains.delete(chain.tabId);
    this.deps.clearTimer(chain.timer);
    chain.record = { ...chain.record, outcome, endedAt: this.deps.now() };
    this.deps.log?.(`chain ${chain.record.id}: ${outcome}`);
    await this.serialize(() => this.deps.rulesApi.updateSessionRules({ removeRuleIds: chain.ruleIds })).catch((e: unknown) =>
      this.deps.log?.(`chain ${chain.record.id}: could not remove its rules: ${String(e)}`),
    );
    await this.save(chain);
  }

  private providerRule(url: string): ProviderRule | undefined {
    return findRule(this.rules, [url]);
  }

  private freeSlot(): number | null {
    const used = new Set([...this.chains.values()].map((c) => c.slot));
    for (let s = 0; s < CHAIN_RULE_IDS.slots; s++) if (!used.has(s)) return s;
    return null;
  }

  private directRules(): RewriteRule[] {
    const n = this.entries.length;
    return this.entries
      .map((e, i) => buildDirectRule(e.rule, { id: DIRECT_RULE_IDS.from + i, priority: 1 + n - i, origin: e.origin }))
      .filter((r): r is RewriteRule => r !== null && !this.unsupported.has(r.condition.regexFilter));
  }

  private chainRulesFor(tabId: number, slot: number): RewriteRule[] {
    const n = this.entries.length;
    return this.entries
      .flatMap((e, i) =>
        buildChainRules(e.rule, {
          origin: e.origin,
          idBase: CHAIN_RULE_IDS.from + slot * CHAIN_RULE_IDS.slotSize + i * RULES_PER_PROVIDER,
          band: CHAIN_BAND_BASE + 10 * (n - i),
          tabId,
        }),
      )
      .filter((r) => !this.unsupported.has(r.condition.regexFilter));
  }

  private async checkRegexes(rules: RewriteRule[]): Promise<void> {
    const check = this.deps.rulesApi.isRegexSupported?.bind(this.deps.rulesApi);
    if (!check) return;
    for (const regex of new Set(rules.map((r) => r.condition.regexFilter))) {
      const result = await check({ regex }).catch(() => ({ isSupported: true }));
      if (!result.isSupported) {
        this.unsupported.add(regex);
        this.deps.log?.(`automatic capture: a rule's pattern is too large for this browser (${(result as { reason?: string }).reason ?? 'unsupported'}); that part is left to the re-navigation`);
      }
    }
  }

  private async save(chain: Chain): Promise<void> {
    try {
      await this.deps.activity.put(chain.record);
    } catch (error) {
      this.deps.log?.(`chain ${chain.record.id}: could not record activity: ${String(error)}`);
    }
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

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

function isAuthorizationRequest(url: string): boolean {
  try {
    const u = new URL(url);
    return u.searchParams.has('response_type') && u.searchParams.has('client_id');
  } catch {
    return false;
  }
}

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
 *
 * This module follows the chains; the session rules they arm are `chain-rules.ts`'s, what makes a
 * navigation the user's is `user-navigation.ts`'s, and what a provider hop lacks `provider-hop.ts`'s.
 */
import { applyRule, type ProviderRule } from '../../../shared/providers';
import { LIMITS } from '../../../shared/protocol';
import type { ActivityStore, ChainOutcome, ChainRecord } from './activity-log';
import { CHAIN_RULE_IDS, ChainRules, type RewriteRulesApi } from './chain-rules';
import { isAuthorizationRequest, missingParams } from './provider-hop';
import { isCallbackFor, parseToolAuthorizeRequest, type ToolAuthorizeRequest } from './tool-authorize-request';
import { isUserNavigation, type CommitDetails } from './user-navigation';

export type { RewriteRulesApi } from './chain-rules';

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

export class LoginChains {
  private readonly deps: LoginChainsDeps;
  private readonly chains = new Map<number, Chain>();
  private readonly ruleSet: ChainRules;

  constructor(deps: LoginChainsDeps) {
    this.deps = deps;
    this.ruleSet = new ChainRules(deps.rulesApi, (message) => this.deps.log?.(message));
  }

  /**
   * At worker start: removes a previous worker's rules (its chains are gone), marks its chains
   * interrupted, and installs `rules`. Chains begun meanwhile arm after this (one queue).
   */
  start(loadRules: () => Promise<readonly ProviderRule[]>): Promise<void> {
    const started = this.ruleSet.reset(loadRules);
    void this.deps.activity.interruptWaiting(this.deps.now()).catch((e: unknown) => this.deps.log?.(`activity: ${String(e)}`));
    return started;
  }

  /** Replaces the rules (in winning order) with `rules`; chains begun from now on use them. */
  setRules(rules: readonly ProviderRule[]): Promise<void> {
    return this.ruleSet.set(rules);
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
    void this.ruleSet.arm(chain, () => this.chains.get(tabId) === chain).catch((e: unknown) =>
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
    await this.ruleSet.disarm(chain).catch((e: unknown) =>
      this.deps.log?.(`chain ${chain.record.id}: could not remove its rules: ${String(e)}`),
    );
    await this.save(chain);
  }

  private providerRule(url: string): ProviderRule | undefined {
    return this.ruleSet.providerRule(url);
  }

  private freeSlot(): number | null {
    const used = new Set([...this.chains.values()].map((c) => c.slot));
    for (let s = 0; s < CHAIN_RULE_IDS.slots; s++) if (!used.has(s)) return s;
    return null;
  }

  private async save(chain: Chain): Promise<void> {
    try {
      await this.deps.activity.put(chain.record);
    } catch (error) {
      this.deps.log?.(`chain ${chain.record.id}: could not record activity: ${String(error)}`);
    }
  }
}

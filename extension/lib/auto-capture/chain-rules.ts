/**
 * The declarativeNetRequest session rules automatic capture keeps (rewrite-rules.ts builds them):
 * the standing per-origin rules, each chain's rules scoped to its tab in a slot of its own, the id
 * ranges that say which session rules are ours, the browser's limit on a rule's regex, and one
 * queue, so that no two changes to the rules interleave.
 */
import { findRule, type ProviderRule } from '../../../shared/providers';
import { RULES_PER_PROVIDER, buildChainRules, buildDirectRule, type RewriteRule } from './rewrite-rules';

/** The part of `browser.declarativeNetRequest` used here. */
export interface RewriteRulesApi {
  getSessionRules(): Promise<Array<{ id: number }>>;
  updateSessionRules(options: { addRules?: RewriteRule[]; removeRuleIds?: number[] }): Promise<void>;
  /** Chromium and Firefox have it; without it every regex is assumed to fit. */
  isRegexSupported?(options: { regex: string }): Promise<{ isSupported: boolean; reason?: string }>;
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

/** One (rule, origin) pair: each origin of a rule gets its own rules. */
interface Entry {
  rule: ProviderRule;
  origin: string;
}

/** What a chain holds of its rules: its tab, its slot of rule ids, the ids armed. */
export interface ChainSlot {
  tabId: number;
  slot: number;
  ruleIds: number[];
}

export class ChainRules {
  private rules: ProviderRule[] = [];
  private entries: Entry[] = [];
  /** Regexes the browser refused (too large): rules using them are left out. */
  private readonly unsupported = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly api: RewriteRulesApi,
    private readonly log: (message: string) => void,
  ) {}

  /** Removes a previous worker's rules (its chains are gone), then installs the rules `loadRules` gives. */
  reset(loadRules: () => Promise<readonly ProviderRule[]>): Promise<void> {
    return this.serialize(async () => {
      const stale = (await this.api.getSessionRules()).map((r) => r.id).filter(isOurRuleId);
      if (stale.length) await this.api.updateSessionRules({ removeRuleIds: stale });
      await this.install(await loadRules());
    });
  }

  /** Replaces the rules (in winning order) with `rules`; chains armed from now on use them. */
  set(rules: readonly ProviderRule[]): Promise<void> {
    return this.serialize(() => this.install(rules));
  }

  /**
   * Arms `chain`'s rules in its slot, scoped to its tab, when its turn in the queue comes, unless
   * `isCurrent` then says the chain has ended.
   */
  arm(chain: ChainSlot, isCurrent: () => boolean): Promise<void> {
    return this.serialize(async () => {
      if (!isCurrent()) return; // ended before its turn
      const rules = this.chainRulesFor(chain.tabId, chain.slot);
      chain.ruleIds = rules.map((r) => r.id);
      await this.api.updateSessionRules({ addRules: rules, removeRuleIds: chain.ruleIds });
    });
  }

  /** Removes the rules `chain` has armed by the time its turn in the queue comes. */
  disarm(chain: ChainSlot): Promise<void> {
    return this.serialize(() => this.api.updateSessionRules({ removeRuleIds: chain.ruleIds }));
  }

  /** The installed rule for the provider `url` belongs to, if any. */
  providerRule(url: string): ProviderRule | undefined {
    return findRule(this.rules, [url]);
  }

  private async install(rules: readonly ProviderRule[]): Promise<void> {
    this.rules = [...rules];
    this.entries = rules.flatMap((rule) => rule.origins.map((origin) => ({ rule, origin }))).slice(0, MAX_ORIGINS);
    await this.checkRegexes([...this.directRules(), ...this.chainRulesFor(-1, 0)]);
    const old = (await this.api.getSessionRules()).map((r) => r.id).filter((id) => id >= DIRECT_RULE_IDS.from && id <= DIRECT_RULE_IDS.to);
    await this.api.updateSessionRules({ removeRuleIds: old, addRules: this.directRules() });
    this.log(`automatic capture: ${rules.length} provider rule(s) active`);
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
    const check = this.api.isRegexSupported?.bind(this.api);
    if (!check) return;
    for (const regex of new Set(rules.map((r) => r.condition.regexFilter))) {
      const result = await check({ regex }).catch(() => ({ isSupported: true }));
      if (!result.isSupported) {
        this.unsupported.add(regex);
        this.log(`automatic capture: a rule's pattern is too large for this browser (${(result as { reason?: string }).reason ?? 'unsupported'}); that part is left to the re-navigation`);
      }
    }
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

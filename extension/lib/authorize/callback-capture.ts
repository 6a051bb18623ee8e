/**
 * Arms and disarms callback capture rules as declarativeNetRequest SESSION rules: they vanish with
 * the browser session, like the flows they serve, and never touch the user's static or dynamic rules.
 */
import { buildCallbackRule, isCallbackRule, lowestFreeRuleId, type CallbackRule } from './callback-rule';

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

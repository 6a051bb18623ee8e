import { describe, expect, it } from 'vitest';
import { CallbackCapture, type SessionRulesApi } from '../../../extension/lib/authorize/callback-capture';
import type { CallbackRule } from '../../../extension/lib/authorize/callback-capture';

const PAGE = 'chrome-extension://id/callback.html';

/** In-memory session rules with the asynchrony of the real API (each call yields first). */
function fakeRules(initial: Array<{ id: number; action?: { redirect?: { regexSubstitution?: string } } }> = []) {
  const rules = new Map(initial.map((r) => [r.id, r]));
  const api: SessionRulesApi = {
    async getSessionRules() {
      await new Promise((r) => setTimeout(r, 1));
      return [...rules.values()];
    },
    async updateSessionRules({ addRules = [], removeRuleIds = [] }: { addRules?: CallbackRule[]; removeRuleIds?: number[] }) {
      await new Promise((r) => setTimeout(r, 1));
      for (const id of removeRuleIds) rules.delete(id);
      for (const rule of addRules) {
        if (rules.has(rule.id)) throw new Error(`Rule with id ${rule.id} does not have a unique ID.`);
        rules.set(rule.id, rule);
      }
    },
  };
  return { api, rules };
}

describe('CallbackCapture', () => {
  it('gives concurrently armed flows distinct rule ids', async () => {
    const { api, rules } = fakeRules([{ id: 1 }]);
    const capture = new CallbackCapture(api, PAGE);
    const ids = await Promise.all([
      capture.arm('http://127.0.0.1:1/cb', 10),
      capture.arm('http://127.0.0.1:2/cb', 11),
      capture.arm('http://127.0.0.1:3/cb', 12),
    ]);
    expect(new Set(ids).size).toBe(3);
    expect(ids).not.toContain(1);
    expect(rules.size).toBe(4);
  });

  it('removes a disarmed rule and reuses its id later', async () => {
    const { api, rules } = fakeRules();
    const capture = new CallbackCapture(api, PAGE);
    const id = await capture.arm('http://127.0.0.1:1/cb', 10);
    expect((rules.get(id) as CallbackRule).condition.tabIds).toEqual([10]);
    await capture.disarm(id);
    expect(rules.has(id)).toBe(false);
    expect(await capture.arm('http://127.0.0.1:1/cb', 10)).toBe(id);
  });

  it('keeps working after a failed change', async () => {
    const { api } = fakeRules();
    const failing: SessionRulesApi = { ...api, updateSessionRules: async () => Promise.reject(new Error('quota')) };
    const capture = new CallbackCapture(failing, PAGE);
    await expect(capture.arm('http://127.0.0.1:1/cb')).rejects.toThrow('quota');
    await expect(capture.removeStaleRules()).resolves.toBe(0);
  });

  it('removes only callback rules left by an earlier session', async () => {
    const { api, rules } = fakeRules([
      { id: 1, action: { redirect: { regexSubstitution: `${PAGE}?\\1` } } },
      { id: 2, action: { redirect: { regexSubstitution: 'https://elsewhere/?\\1' } } },
      { id: 3 },
    ]);
    await expect(new CallbackCapture(api, PAGE).removeStaleRules()).resolves.toBe(1);
    expect([...rules.keys()]).toEqual([2, 3]);
  });
});

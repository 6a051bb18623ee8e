import { describe, expect, it, vi } from 'vitest';
import { PendingFlows, type PendingFlow } from '../../../extension/lib/authorize/pending-flows';

const flow = (state: string, tabId = 1): PendingFlow => ({
  flowId: `f-${state}`,
  state,
  serverUrl: 'https://mcp.example/mcp',
  redirectUri: 'http://127.0.0.1:5000/callback',
  startedAt: 0,
  expiresAt: 1000,
  tabId,
});

describe('PendingFlows', () => {
  it('sends the first delivery of a state on, and gives repeats the same outcome', async () => {
    const flows = new PendingFlows<string>();
    flows.add(flow('s1'));
    const complete = vi.fn(async (f: PendingFlow) => `done ${f.flowId}`);
    const first = flows.deliver('s1', complete);
    const second = flows.deliver('s1', complete);
    expect(first.kind).toBe('first');
    expect(second.kind).toBe('repeat');
    expect(complete).toHaveBeenCalledTimes(1);
    if (first.kind === 'unknown' || second.kind === 'unknown') throw new Error('unreachable');
    await expect(second.outcome).resolves.toBe('done f-s1');
    expect(second.outcome).toBe(first.outcome);
  });

  it('does not deliver unknown or forgotten states', () => {
    const flows = new PendingFlows<string>();
    const complete = vi.fn(async () => 'x');
    expect(flows.deliver('nope', complete).kind).toBe('unknown');
    flows.add(flow('s1'));
    flows.forget('s1');
    expect(flows.deliver('s1', complete).kind).toBe('unknown');
    expect(complete).not.toHaveBeenCalled();
  });

  it('gives deliveries after an end the end outcome, without sending them on', async () => {
    const flows = new PendingFlows<string>();
    flows.add(flow('s1'));
    expect(flows.end('s1', 'expired')?.state).toBe('s1');
    const complete = vi.fn(async () => 'x');
    const d = flows.deliver('s1', complete);
    expect(d.kind).toBe('repeat');
    if (d.kind !== 'repeat') throw new Error('unreachable');
    await expect(d.outcome).resolves.toBe('expired');
    expect(complete).not.toHaveBeenCalled();
  });

  it('does not end a flow that already got its callback', () => {
    const flows = new PendingFlows<string>();
    flows.add(flow('s1'));
    flows.deliver('s1', async () => 'ok');
    expect(flows.end('s1', 'expired')).toBeUndefined();
  });

  it('refuses a state that is already in use', () => {
    const flows = new PendingFlows<string>();
    flows.add(flow('s1'));
    expect(() => flows.add(flow('s1'))).toThrow(/already in use/);
  });

  it('lists the flows still waiting in a tab', () => {
    const flows = new PendingFlows<string>();
    flows.add(flow('a', 1));
    flows.add(flow('b', 1));
    flows.add(flow('c', 2));
    flows.deliver('b', async () => 'ok');
    expect(flows.waitingInTab(1).map((f) => f.state)).toEqual(['a']);
    expect(flows.waitingInTab(3)).toEqual([]);
  });
});

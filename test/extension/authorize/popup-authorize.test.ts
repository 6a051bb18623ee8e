import { describe, expect, it, vi } from 'vitest';
import { authorizeTypedUrl, type PopupAuthorizeDeps } from '../../../extension/lib/authorize/popup-authorize';
import type { ResultSummary } from '../../../extension/lib/ui/result-summary';

function deps() {
  const steps: string[] = [];
  const summary = { flowId: 'f', state: 'pending' } as ResultSummary;
  const d: PopupAuthorizeDeps = {
    started: vi.fn((url: string) => void steps.push(`started ${url}`)),
    remember: vi.fn(async (url: string) => void steps.push(`remember ${url}`)),
    authorize: vi.fn(async (url: string) => (steps.push(`authorize ${url}`), summary)),
  };
  return { d, steps, summary };
}

describe("the popup's Authorize", () => {
  it('checks the typed URL, then shows, remembers and sends it', async () => {
    const { d, steps, summary } = deps();
    await expect(authorizeTypedUrl('  https://mcp.example/mcp ', d)).resolves.toBe(summary);
    expect(steps).toEqual(['started https://mcp.example/mcp', 'remember https://mcp.example/mcp', 'authorize https://mcp.example/mcp']);
  });

  it.each(['https://user:secret@mcp.example/mcp', 'https://user@mcp.example/mcp', 'mcp.example', ''])(
    'keeps a refused URL nowhere and sends nothing (%j)',
    async (typed) => {
      const { d, steps } = deps();
      await expect(authorizeTypedUrl(typed, d)).rejects.toMatchObject({ errorName: 'InvalidServerUrl' });
      expect(steps).toEqual([]);
    },
  );
});

import { describe, expect, it, vi } from 'vitest';
import { ensureOriginAccess, type PermissionsLike } from '../../../extension/lib/settings/origin-access';

/**
 * A fake of `browser.permissions` with the manifest's grants: 127.0.0.1 and localhost held, any
 * https origin requestable (optional `https://*\/*`), nothing else. `answer` is the user's reply
 * to a prompt; `inGesture` false is a click that was not the user's (the browser refuses to ask).
 */
function permissions(answer: boolean, { inGesture = true, held = ['http://127.0.0.1/*', 'http://localhost/*'] } = {}) {
  const prompts: string[] = [];
  const fake: PermissionsLike = {
    contains: vi.fn(async ({ origins }: { origins: string[] }) => origins.every((o) => held.includes(o))),
    request: vi.fn(async ({ origins }: { origins: string[] }) => {
      if (!inGesture) throw new Error('permissions.request may only be called from a user input handler');
      if (!origins.every((o) => o.startsWith('https://') || held.includes(o))) throw new Error('Only permissions specified in the manifest may be requested.');
      const missing = origins.filter((o) => !held.includes(o));
      if (missing.length === 0) return true; // no prompt for what is held
      prompts.push(...missing);
      return answer;
    }),
  };
  return { fake, prompts };
}

describe('ensureOriginAccess', () => {
  it.each(['http://[::1]:8080', 'http://127.0.0.2', 'http://127.0.0.2:5555'])(
    'refuses a loopback origin outside the manifest (%s): a rule there would never apply',
    async (origin) => {
      const { fake, prompts } = permissions(true);
      const access = await ensureOriginAccess(fake, origin);
      expect(access).toMatchObject({ kind: 'unavailable', reason: expect.stringContaining('manifest') });
      expect(prompts).toEqual([]);
    },
  );

  it('grants an origin the manifest already gives without a prompt, even for a click that was not the user’s', async () => {
    for (const origin of ['http://127.0.0.1:5555', 'http://localhost:8080']) {
      for (const inGesture of [true, false]) {
        const { fake, prompts } = permissions(false, { inGesture });
        expect(await ensureOriginAccess(fake, origin)).toEqual({ kind: 'granted' });
        expect(prompts).toEqual([]);
      }
    }
  });

  it("asks for an https origin not held yet, and takes the user's answer", async () => {
    const yes = permissions(true);
    expect(await ensureOriginAccess(yes.fake, 'https://idp.example.com')).toEqual({ kind: 'granted' });
    expect(yes.prompts).toEqual(['https://idp.example.com/*']);
    const no = permissions(false);
    expect(await ensureOriginAccess(no.fake, 'https://*.idp.example.com')).toEqual({ kind: 'denied' });
    expect(no.prompts).toEqual(['https://*.idp.example.com/*']);
  });

  it('calls permissions.request before returning, so the click handler awaits nothing before it', () => {
    const { fake } = permissions(true);
    void ensureOriginAccess(fake, 'https://idp.example.com');
    expect(fake.request).toHaveBeenCalledWith({ origins: ['https://idp.example.com/*'] });
  });

  it('treats an API that throws instead of rejecting as unavailable', async () => {
    const fake: PermissionsLike = {
      contains: () => {
        throw new Error('bad pattern');
      },
      request: () => {
        throw new Error('bad pattern');
      },
    };
    expect(await ensureOriginAccess(fake, 'https://idp.example.com')).toEqual({ kind: 'unavailable', reason: 'bad pattern' });
  });
});

import { describe, expect, it } from 'vitest';
import { DEV_EXTENSION_ID, FIREFOX_ADDON_ID } from '../../../shared/constants';
import { assertCallerAllowed, detectCaller } from '../../../native-host/native-messaging/caller';

describe('detectCaller', () => {
  it('recognizes Chrome (with and without the Windows parent-window argument)', () => {
    expect(detectCaller([`chrome-extension://${DEV_EXTENSION_ID}/`])).toEqual({ browser: 'chrome', extensionId: DEV_EXTENSION_ID });
    expect(detectCaller([`chrome-extension://${DEV_EXTENSION_ID}/`, '--parent-window=0'])?.browser).toBe('chrome');
  });
  it('recognizes Firefox by manifest path and add-on id', () => {
    expect(detectCaller(['/home/u/.mozilla/native-messaging-hosts/mcp_login_bridge.json', FIREFOX_ADDON_ID])).toEqual({
      browser: 'firefox',
      extensionId: FIREFOX_ADDON_ID,
    });
  });
  it('treats everything else as a command line', () => {
    expect(detectCaller([])).toBeUndefined();
    expect(detectCaller(['login', 'https://x.test/mcp'])).toBeUndefined();
    expect(detectCaller(['chrome-extension://not-an-id/'])).toBeUndefined();
    expect(detectCaller(['config.json'])).toBeUndefined();
  });
});

describe('assertCallerAllowed', () => {
  it('allows the built-in ids and configured ones, refuses others', () => {
    expect(() => assertCallerAllowed({ browser: 'chrome', extensionId: DEV_EXTENSION_ID }, [])).not.toThrow();
    expect(() => assertCallerAllowed({ browser: 'chrome', extensionId: 'a'.repeat(32) }, [])).toThrow(/not allowed/);
    expect(() => assertCallerAllowed({ browser: 'chrome', extensionId: 'a'.repeat(32) }, ['a'.repeat(32)])).not.toThrow();
  });
});

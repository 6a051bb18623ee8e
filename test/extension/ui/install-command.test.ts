import { describe, expect, it } from 'vitest';
import { detectInstallBrowser, installCommand } from '../../../extension/lib/ui/install-command';

const chromeUa = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

describe('the install command for the browser the extension runs in', () => {
  it.each([
    [{ firefox: true, brands: [], brave: false, userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0' }, 'firefox'],
    [{ firefox: false, brands: ['Chromium', 'Not.A/Brand'], brave: false, userAgent: chromeUa }, 'chromium'],
    [{ firefox: false, brands: ['Google Chrome', 'Chromium', 'Not.A/Brand'], brave: false, userAgent: chromeUa }, 'chrome'],
    [{ firefox: false, brands: ['Microsoft Edge', 'Chromium', 'Not.A/Brand'], brave: false, userAgent: `${chromeUa} Edg/156.0.0.0` }, 'edge'],
    [{ firefox: false, brands: ['Chromium', 'Not.A/Brand'], brave: true, userAgent: chromeUa }, 'brave'],
    [{ firefox: false, brands: ['Chromium', 'Not.A/Brand'], brave: false, userAgent: `${chromeUa} Vivaldi/7.5` }, 'vivaldi'],
    [{ firefox: false, brands: [], brave: false, userAgent: chromeUa }, 'chrome'],
  ] as const)('%j → %s', (facts, browser) => {
    expect(detectInstallBrowser(facts)).toBe(browser);
    expect(installCommand(detectInstallBrowser(facts))).toBe(`npx mcp-login-bridge install --browser ${browser}`);
  });
});

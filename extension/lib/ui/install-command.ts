/**
 * The exact command that registers the native host for the browser this extension runs in, for
 * the popup's first-run banner: `install` refuses to guess the browser, so a command without
 * `--browser` would fail. Detected from what the browser says about itself; a pure function of
 * those facts so it is tested without a browser.
 */
export type InstallBrowser = 'chrome' | 'chromium' | 'edge' | 'brave' | 'vivaldi' | 'firefox';

export interface BrowserFacts {
  /** Firefox has `runtime.getBrowserInfo`; Chromium-family browsers do not. */
  firefox: boolean;
  /** `navigator.userAgentData.brands` names (Chromium family), e.g. "Google Chrome", "Microsoft Edge". */
  brands: readonly string[];
  /** Brave hides its brand from userAgentData but has `navigator.brave`. */
  brave: boolean;
  userAgent: string;
}

export function detectInstallBrowser(f: BrowserFacts): InstallBrowser {
  if (f.firefox) return 'firefox';
  if (f.brave) return 'brave';
  if (f.brands.includes('Microsoft Edge') || /\bEdg\//.test(f.userAgent)) return 'edge';
  if (/\bVivaldi\//.test(f.userAgent)) return 'vivaldi';
  if (f.brands.includes('Google Chrome')) return 'chrome';
  // Chromium names only itself; a browser that names nothing is most likely Chrome.
  return f.brands.includes('Chromium') ? 'chromium' : 'chrome';
}

export function installCommand(browser: InstallBrowser): string {
  return `npx mcp-login-bridge install --browser ${browser}`;
}

/** The facts of the running browser; `runtime` is the extension API's `browser.runtime`. */
export function currentBrowserFacts(runtime: object): BrowserFacts {
  const nav = navigator as Navigator & { userAgentData?: { brands?: { brand: string }[] }; brave?: unknown };
  return {
    firefox: typeof (runtime as { getBrowserInfo?: unknown }).getBrowserInfo === 'function',
    brands: nav.userAgentData?.brands?.map((b) => b.brand) ?? [],
    brave: nav.brave !== undefined,
    userAgent: nav.userAgent,
  };
}

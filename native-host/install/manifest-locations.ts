/**
 * Where each browser looks for native messaging host manifests, per user, per OS. Chrome-family
 * browsers with a custom --user-data-dir read `<dir>/NativeMessagingHosts/` instead of their
 * default profile folder (TESTING.md). Windows uses registry keys under HKCU pointing at the
 * manifest file; those are written by `install` on Windows only.
 */
import { join } from 'node:path';

export const CHROME_FAMILY = ['chrome', 'chromium', 'edge', 'brave', 'vivaldi'] as const;
export const BROWSERS = [...CHROME_FAMILY, 'firefox'] as const;
export type BrowserName = (typeof BROWSERS)[number];

export function isBrowserName(value: string): value is BrowserName {
  return (BROWSERS as readonly string[]).includes(value);
}

const LINUX_DIRS: Record<BrowserName, string> = {
  chrome: '.config/google-chrome/NativeMessagingHosts',
  chromium: '.config/chromium/NativeMessagingHosts',
  edge: '.config/microsoft-edge/NativeMessagingHosts',
  brave: '.config/BraveSoftware/Brave-Browser/NativeMessagingHosts',
  vivaldi: '.config/vivaldi/NativeMessagingHosts',
  firefox: '.mozilla/native-messaging-hosts',
};

const MAC_DIRS: Record<BrowserName, string> = {
  chrome: 'Library/Application Support/Google/Chrome/NativeMessagingHosts',
  chromium: 'Library/Application Support/Chromium/NativeMessagingHosts',
  edge: 'Library/Application Support/Microsoft Edge/NativeMessagingHosts',
  brave: 'Library/Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts',
  vivaldi: 'Library/Application Support/Vivaldi/NativeMessagingHosts',
  firefox: 'Library/Application Support/Mozilla/NativeMessagingHosts',
};

const WINDOWS_REGISTRY_KEYS: Record<BrowserName, string> = {
  chrome: 'HKCU\\Software\\Google\\Chrome\\NativeMessagingHosts',
  chromium: 'HKCU\\Software\\Chromium\\NativeMessagingHosts',
  edge: 'HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts',
  brave: 'HKCU\\Software\\BraveSoftware\\Brave-Browser\\NativeMessagingHosts',
  vivaldi: 'HKCU\\Software\\Vivaldi\\NativeMessagingHosts',
  firefox: 'HKCU\\Software\\Mozilla\\NativeMessagingHosts',
};

export interface ManifestLocation {
  /** Folder the manifest file goes in. */
  dir: string;
  /** Windows only: the registry key (plus `\<host name>`) whose default value is the manifest path. */
  registryKey?: string;
}

export function manifestLocation(
  browser: BrowserName,
  options: { platform: NodeJS.Platform; home: string; userDataDir?: string; appData?: string },
): ManifestLocation {
  if (options.userDataDir) {
    if (browser === 'firefox') throw new Error('--user-data-dir applies to Chrome-family browsers; Firefox reads one folder per user');
    return { dir: join(options.userDataDir, 'NativeMessagingHosts') };
  }
  if (options.platform === 'darwin') return { dir: join(options.home, MAC_DIRS[browser]) };
  if (options.platform === 'win32') {
    const base = options.appData ?? join(options.home, 'AppData', 'Roaming');
    return { dir: join(base, 'mcp-login-bridge', 'manifests', browser), registryKey: WINDOWS_REGISTRY_KEYS[browser] };
  }
  return { dir: join(options.home, LINUX_DIRS[browser]) };
}

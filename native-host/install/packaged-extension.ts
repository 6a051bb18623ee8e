/**
 * Where the built extension is, next to the host bundle that is running, and how a user loads it.
 * The npm package ships the unpacked builds (`.output/chrome-mv3`, `.output/firefox-mv3`) and the
 * store zips beside `dist/`, so `install` run from a global install can name a folder that exists
 * on this machine, whether it runs from the package or from a clone after `npm run build`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DEV_EXTENSION_ID, FIREFOX_ADDON_ID } from '../../shared/constants';
import type { BrowserName } from './manifest-locations';

export interface PackagedExtension {
  /** The unpacked extension folder (what "Load unpacked" / "Load Temporary Add-on" takes). */
  folder: string;
  /** The store zip for this browser, when the package has one. */
  zip?: string;
  /** The id the browser gives the unpacked build (pinned by the manifest key / gecko id). */
  id: string;
  /** Steps a person follows, one per line, in order. */
  steps: string[];
}

/** The package (or repository) root: the host bundle lives in `<root>/dist/native-host/`. */
export function packageRoot(hostScript: string): string {
  return resolve(dirname(hostScript), '..', '..');
}

/**
 * The extension build for `browser` that ships with the running host, or undefined when there is
 * none (a clone that was never built): then the caller says how to build it.
 */
export function packagedExtension(browser: BrowserName, hostScript: string): PackagedExtension | undefined {
  const root = packageRoot(hostScript);
  const firefox = browser === 'firefox';
  const folder = join(root, '.output', firefox ? 'firefox-mv3' : 'chrome-mv3');
  if (!existsSync(join(folder, 'manifest.json'))) return undefined;
  const zip = storeZip(join(root, '.output'), firefox ? 'firefox' : 'chrome');
  const steps = firefox
    ? [
        'Once the add-on is published, install it from addons.mozilla.org (the normal route; it stays installed).',
        `Until then: open about:debugging#/runtime/this-firefox → "Load Temporary Add-on…" → ${join(folder, 'manifest.json')}`,
        '(a temporary add-on is removed when Firefox quits).',
      ]
    : [
        'Once the extension is published, install it from the Chrome Web Store (the normal route; it updates itself),',
        '  then run install again with --extension-id <the store listing\'s id>.',
        `Until then: open chrome://extensions → enable "Developer mode" → "Load unpacked" → ${folder}`,
      ];
  return { folder, ...(zip ? { zip } : {}), id: firefox ? FIREFOX_ADDON_ID : DEV_EXTENSION_ID, steps };
}

/** `<name>-<version>-<browser>.zip` as `wxt zip` names it; the newest version if there are several. */
function storeZip(outputDir: string, browser: 'chrome' | 'firefox'): string | undefined {
  let names: string[];
  try {
    names = readdirSync(outputDir);
  } catch {
    return undefined;
  }
  const found = names.filter((n) => n.endsWith(`-${browser}.zip`)).sort();
  return found.length ? join(outputDir, found[found.length - 1]!) : undefined;
}

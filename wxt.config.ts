import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineConfig } from 'wxt';
import { DEV_EXTENSION_KEY, FIREFOX_ADDON_ID } from './shared/constants';
import { BUILTIN_RULES } from './shared/providers';
import { hostPermissionFor } from './extension/lib/auto-capture/rewrite-rules';

// Automatic capture rewrites requests to the built-in providers only where it has host access.
const providerHosts = [...new Set(BUILTIN_RULES.flatMap((r) => r.origins.map(hostPermissionFor)))];

/** The unpacked build's manifest while the Chrome store zip is made without its key. */
let keyedManifest: string | undefined;

// The extension's manifest is generated from here. Permissions are the least the flows need;
// README.md ("Permissions") says why each one is there.
export default defineConfig({
  srcDir: 'extension',
  outDir: '.output',
  modules: ['@wxt-dev/webextension-polyfill'],
  // Explicit imports everywhere: a reader can follow every name to its module.
  imports: false,
  manifestVersion: 3,
  zip: {
    // The Firefox sources zip is for the add-on store's review: the project, not its build outputs.
    excludeSources: ['dist/**', '.output/**', 'test-results/**', '.wxt/**'],
  },
  hooks: {
    // The unpacked build keeps the development key, which pins the extension id that the host's
    // manifest allows; the Chrome Web Store refuses an upload whose manifest has a "key" and
    // assigns the listing's id itself. So only the store zip leaves it out, and the folder gets it
    // back once zipped.
    'zip:extension:start': async (wxt) => {
      if (wxt.config.browser !== 'chrome') return;
      const path = join(wxt.config.outDir, 'manifest.json');
      const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      if (!('key' in manifest)) return;
      keyedManifest = await readFile(path, 'utf8');
      delete manifest.key;
      await writeFile(path, JSON.stringify(manifest));
    },
    'zip:extension:done': async (wxt) => {
      if (keyedManifest === undefined) return;
      await writeFile(join(wxt.config.outDir, 'manifest.json'), keyedManifest);
      keyedManifest = undefined;
    },
  },
  manifest: ({ browser }) => ({
    name: 'MCP Login Bridge',
    description: 'Keeps MCP clients logged in: asks identity providers for refresh tokens and stores them for your MCP clients.',
    permissions: ['nativeMessaging', 'declarativeNetRequestWithHostAccess', 'storage', 'tabs', 'webNavigation', 'webRequest'],
    // Loopback: callbacks (captured for the host's logins, observed for other tools'), and local
    // providers. The built-in providers: their authorize requests get the rule's parameters.
    host_permissions: ['http://127.0.0.1/*', 'http://localhost/*', ...providerHosts],
    // Asked for one origin at a time, when the user adds a rule for it on the options page.
    optional_host_permissions: ['https://*/*'],
    // Chromium checks `matches` against the navigation's initiator: the provider's page that
    // redirects to the loopback callback (https://accounts.google.com, …). The callback page
    // refuses any state the extension did not start, so being reachable from any page is safe.
    web_accessible_resources: [{ resources: ['callback.html'], matches: ['<all_urls>'] }],
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: { id: FIREFOX_ADDON_ID, strict_min_version: '128.0', data_collection_permissions: { required: ['none'] } },
          },
        }
      : { key: DEV_EXTENSION_KEY }),
  }),
});

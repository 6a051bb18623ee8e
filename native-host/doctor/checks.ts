/**
 * What `doctor` checks, each with what to do when it fails: the node this runs on, each browser's
 * host manifest and the launcher it names, the host config, the OS keychain, running browser
 * hosts' bridges, and the local MCP clients (client-checks.ts). Every message is safe to print: no token, no bridge secret.
 */
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { DEV_EXTENSION_ID, FIREFOX_ADDON_ID, NATIVE_HOST_NAME } from '../../shared/constants';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { BridgeClient } from '../bridge/bridge-client';
import { runtimeDir, scanBridges } from '../bridge/runtime-files';
import type { ClientAdapter } from '../clients/client-adapter';
import { configPath, loadConfig, type HostConfig } from '../config';
import { manifestFor } from '../install/host-paths';
import { BROWSERS, type BrowserName } from '../install/manifest-locations';
import { checkClientMetadataDocument } from '../oauth/client-metadata-document';
import { BridgeStore } from '../stores/bridge-store';
import { firstSentence } from '../stores/bridge-store-writes';
import type { Check } from './check';

export type { Check, CheckStatus } from './check';

const MIN_NODE: [number, number] = [20, 19];

export function checkNode(version = process.versions.node, execPath = process.execPath): Check {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { id: 'node', status: 'ok', message: `node ${version} at ${execPath}` }
    : { id: 'node', status: 'error', message: `node ${version} at ${execPath} is too old`, fix: `install Node ${MIN_NODE.join('.')} or newer, then run "mcp-login-bridge install" again` };
}

async function executable(path: string): Promise<boolean> {
  return access(path, process.platform === 'win32' ? constants.F_OK : constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The node and script a launcher written by `install` runs. */
export function parseLauncher(text: string): { node: string; script: string } | undefined {
  const sh = /^exec '((?:[^']|'\\'')*)' '((?:[^']|'\\'')*)' "\$@"$/m.exec(text);
  if (sh) return { node: sh[1]!.replace(/'\\''/g, "'"), script: sh[2]!.replace(/'\\''/g, "'") };
  const bat = /^"([^"]+)" "([^"]+)" %\*\r?$/m.exec(text);
  if (bat) return { node: bat[1]!, script: bat[2]! };
  return undefined;
}

export async function checkBrowser(
  browser: BrowserName,
  options: { userDataDir?: string; allowedIds: readonly string[]; platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv },
): Promise<Check> {
  const id = `browser:${browser}`;
  const install = `mcp-login-bridge install --browser ${browser}${options.userDataDir ? ` --user-data-dir ${JSON.stringify(options.userDataDir)}` : ''}`;
  const { path, registryKey } = manifestFor(browser, {
    ...(options.userDataDir ? { userDataDir: options.userDataDir } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.platform ? { platform: options.platform } : {}),
  });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { id, status: 'info', message: `${browser}: not registered (no ${path})`, fix: `if you use ${browser}: ${install}` };
  }
  const broken = (what: string): Check => ({ id, status: 'error', message: `${browser}: ${path} ${what}`, fix: install });
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return broken('is not valid JSON');
  }
  if (manifest.name !== NATIVE_HOST_NAME) return broken(`names host ${JSON.stringify(manifest.name)}, not ${NATIVE_HOST_NAME}`);
  if (manifest.type !== 'stdio') return broken('does not say "type": "stdio"');
  const allowedField = browser === 'firefox' ? 'allowed_extensions' : 'allowed_origins';
  const allowed = manifest[allowedField];
  if (!Array.isArray(allowed) || allowed.length === 0) return broken(`has no ${allowedField}`);
  const ids = allowed.map((a) => String(a).replace(/^chrome-extension:\/\//, '').replace(/\/$/, ''));
  if (!ids.some((i) => options.allowedIds.includes(i))) {
    return broken(`allows ${ids.join(', ')}, which the host itself refuses (not the project's id and not in "allowedExtensionIds")`);
  }
  const launcher = manifest.path;
  if (typeof launcher !== 'string' || !isAbsolute(launcher)) return broken('has no absolute "path" (browsers require one on macOS and Linux)');
  if (!(await executable(launcher))) return broken(`names the launcher ${launcher}, which is missing or not executable`);
  const target = parseLauncher(await readFile(launcher, 'utf8').catch(() => ''));
  if (!target) return broken(`names ${launcher}, which was not written by "mcp-login-bridge install"`);
  if (!(await executable(target.node))) return broken(`uses ${launcher}, whose node ${target.node} is gone (node was upgraded or moved)`);
  if (!(await executable(target.script).catch(() => false)) && !(await access(target.script).then(() => true, () => false))) {
    return broken(`uses ${launcher}, whose host ${target.script} is gone (the package moved or was removed)`);
  }
  if (registryKey && (options.platform ?? process.platform) === 'win32') {
    try {
      const out = execFileSync('reg', ['query', registryKey, '/ve'], { encoding: 'utf8' });
      if (!out.includes(path)) return broken(`is not the file the registry key ${registryKey} names`);
    } catch {
      return broken(`is not registered: the registry key ${registryKey} is missing`);
    }
  }
  return { id, status: 'ok', message: `${browser}: ${path} → ${launcher} → node ${target.node}` };
}

export async function checkConfig(path: string = configPath()): Promise<{ check: Check; config?: HostConfig }> {
  try {
    const config = await loadConfig(path);
    return { check: { id: 'config', status: 'ok', message: `host config: ${config.rules.length} rule(s), ${config.clients.length} client(s)` }, config };
  } catch (err) {
    return { check: { id: 'config', status: 'error', message: (err as Error).message, fix: 'fix the file as the message says (PROTOCOL.md, "Host config file")' } };
  }
}

export async function checkKeychain(store: BridgeStore = new BridgeStore()): Promise<Check> {
  try {
    const mode = await store.storeMode();
    const scan = await store.scan();
    const inFiles = [...scan.locations.values()].filter((l) => l.backing === 'file').length;
    const where =
      mode === 'file'
        ? `"store": "file": logins in ${store.fileDir}`
        : scan.keychainProblem
          ? `no usable keychain, so logins go to 0600 files in ${store.fileDir} ("store": "${mode}")`
          : `keychain reachable${inFiles ? `; ${inFiles} login(s) in files in ${store.fileDir}` : ''}`;
    if (scan.invalid.length) {
      return {
        id: 'keychain',
        status: 'warn',
        message: `${where}: ${scan.credentials.length} login(s), ${scan.invalid.length} unreadable (${scan.invalid.map((i) => i.serverUrl).join(', ')})`,
        fix: 'log in to those servers again, or remove them with "mcp-login-bridge logout <url>"',
      };
    }
    // The write a login would make, checked as login checks it: a file folder that cannot be
    // written fails here rather than after a sign-in.
    await store.checkWritable();
    if (scan.keychainProblem) {
      return {
        id: 'keychain',
        status: 'warn',
        // The problem's own fix would repeat the fix below: only its cause goes on the line.
        message: `${where}: ${scan.credentials.length} login(s) stored. The keychain: ${firstSentence(scan.keychainProblem)}`,
        fix: 'to use the keychain, run a Secret Service (e.g. gnome-keyring-daemon) on the session bus; to keep files and silence this, set "store": "file" in the host config',
      };
    }
    return { id: 'keychain', status: 'ok', message: `${where}: ${scan.credentials.length} login(s) stored` };
  } catch (err) {
    const message = err instanceof ProtocolError ? err.message : `the keychain failed: ${(err as Error).message}`;
    return {
      id: 'keychain',
      status: 'error',
      message,
      fix:
        err instanceof ProtocolError && err.code === ErrorCode.StoreFailed
          ? `make ${store.fileDir} writable, or use the keychain ("store": "keychain")`
          : process.platform === 'linux'
            ? 'run a Secret Service (e.g. gnome-keyring-daemon) on the session bus, or set "store": "file" in the host config'
            : 'unlock the keychain and allow node to use it',
    };
  }
}

/** Each configured Client ID Metadata Document, fetched and read as an authorization server would. */
export async function checkClientMetadataDocuments(config: HostConfig | undefined): Promise<Check[]> {
  const documents = config?.clientIdMetadataDocuments ?? [];
  return Promise.all(
    documents.map(async ({ url, issuer }): Promise<Check> => {
      const id = `client-metadata:${url}`;
      const scope = issuer ? `for ${issuer}` : 'for every server that accepts them';
      const problems = await checkClientMetadataDocument(url);
      return problems.length
        ? { id, status: 'error', message: `client metadata document ${url} (${scope}): ${problems.join('; ')}`, fix: 'publish the document as client-metadata/mcp-login-bridge.json shows, with "client_id" set to its URL (README, "Google and other providers")' }
        : { id, status: 'ok', message: `client metadata document ${url} (${scope}) is usable` };
    }),
  );
}

export async function checkRunningHosts(dir: string = runtimeDir()): Promise<Check[]> {
  const { bridges, refused } = await scanBridges(dir);
  if (refused) {
    return [
      {
        id: 'bridge',
        status: 'warn',
        message: `${refused}; "login" will not find a browser host and will use your default browser`,
        fix: 'then restart the browser (or reload the extension) so its host announces itself in a private folder',
      },
    ];
  }
  if (!bridges.length) {
    return [
      {
        id: 'bridge',
        status: 'info',
        message: `no browser host running (none announced in ${dir}); "login" will use your default browser`,
        fix: 'start a browser with the extension; it starts the host when it loads',
      },
    ];
  }
  const checks: Check[] = [];
  for (const b of bridges) {
    const id = `bridge:${b.pid}`;
    try {
      const client = await BridgeClient.connect(b, 2000);
      try {
        const hello = await client.hello(2000);
        checks.push({ id, status: 'ok', message: `host in ${b.browser} (pid ${b.pid}, ${hello.hostVersion}) answers on 127.0.0.1:${b.port}` });
      } finally {
        client.close();
      }
    } catch (err) {
      checks.push({
        id,
        status: 'error',
        message: `host in ${b.browser} (pid ${b.pid}) does not answer: ${(err as Error).message}`,
        fix: 'reload the extension (or restart the browser) to start a fresh host',
      });
    }
  }
  return checks;
}

/** What doctor looks at, found from `env`; tests pass a temporary home and their own store and clients. */
export interface DoctorScope {
  browsers?: BrowserName[];
  userDataDir?: string;
  /** Homes, config and runtime folders; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The bridge's store; default the one `env`'s config chooses. */
  store?: BridgeStore;
  /** The MCP clients; default every registered one, found from `env`. */
  adapters?: readonly ClientAdapter[];
}

export async function runChecks(options: DoctorScope = {}): Promise<Check[]> {
  const env = options.env ?? process.env;
  const checks: Check[] = [checkNode()];
  const { check: configCheck, config } = await checkConfig(configPath(env));
  const allowedIds = [DEV_EXTENSION_ID, FIREFOX_ADDON_ID, ...(config?.allowedExtensionIds ?? [])];
  const browsers = options.browsers ?? [...BROWSERS];
  const browserChecks = await Promise.all(browsers.map((b) => checkBrowser(b, { allowedIds, env, ...(options.userDataDir ? { userDataDir: options.userDataDir } : {}) })));
  const running = await checkRunningHosts(runtimeDir(env));
  checks.push(...summarizeUnregistered(browserChecks, Boolean(options.browsers)));
  if (!browserChecks.some((c) => c.status === 'ok' || c.status === 'error')) {
    const answering = running.filter((c) => c.id.startsWith('bridge:') && c.status === 'ok');
    checks.push(
      answering.length
        ? {
            // A browser started the host, so some manifest names it: one in a profile folder given
            // by --user-data-dir, which doctor only reads when told where it is. Not a failure.
            id: 'browsers',
            status: 'info',
            message: `no manifest in the default profile folders, but a browser started the host (see below): it is registered for a profile started with --user-data-dir`,
            fix: 'to check that manifest: mcp-login-bridge doctor --user-data-dir <dir>',
          }
        : {
            id: 'browsers',
            status: 'error',
            message: `the host is registered with no browser${options.browsers ? ` (checked ${browsers.join(', ')})` : ''}, so the extension cannot reach it`,
            fix: 'mcp-login-bridge install --browser <chrome|chromium|edge|brave|vivaldi|firefox>',
          },
    );
  }
  // Loaded only here: the clients' adapters are not needed by the other checks.
  const { checkClients } = await import('./client-checks');
  const { clientAdapters } = await import('../clients/registry');
  checks.push(
    configCheck,
    ...(await checkClientMetadataDocuments(config)),
    await checkKeychain(options.store ?? new BridgeStore({ env })),
    ...running,
    ...(await checkClients(options.adapters ?? clientAdapters({ env }))),
  );
  return checks;
}

/**
 * One line for the browsers the host is not registered with, instead of one each: most people have
 * one or two of the six. Browsers named with --browser keep their own line (the user asked).
 */
function summarizeUnregistered(browserChecks: Check[], named: boolean): Check[] {
  const unregistered = browserChecks.filter((c) => c.status === 'info');
  if (named || unregistered.length < 2) return browserChecks;
  const names = unregistered.map((c) => c.id.replace(/^browser:/, ''));
  return [
    ...browserChecks.filter((c) => c.status !== 'info'),
    {
      id: 'browsers:unregistered',
      status: 'info',
      message: `not registered with ${names.join(', ')}`,
      fix: 'if you use one of them: mcp-login-bridge install --browser <name>',
    },
  ];
}

/**
 * Undoes `install`: removes a browser's host manifest (and on Windows its registry key), and the
 * shared launcher script once no manifest at a browser's default location still names it.
 * Manifests in custom --user-data-dir profiles cannot be enumerated, so uninstalling one of those
 * keeps the launcher (another custom profile may still use it) unless `removeLauncher` is set.
 */
import { execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { launcherPath, manifestFor, type HostPaths } from './host-paths';
import { BROWSERS, type BrowserName } from './manifest-locations';

async function manifestNames(path: string, launcher: string): Promise<boolean> {
  try {
    return (JSON.parse(await readFile(path, 'utf8')) as { path?: unknown }).path === launcher;
  } catch {
    return false;
  }
}

export interface UninstallOptions extends HostPaths {
  browser: BrowserName;
  userDataDir?: string;
  /** Remove the launcher even if manifests elsewhere may still use it. */
  removeLauncher?: boolean;
}

export interface UninstallResult {
  manifestPath: string;
  manifestRemoved: boolean;
  registryKey?: string;
  registryKeyRemoved?: boolean;
  launcherPath: string;
  launcherRemoved: boolean;
  /** Browsers whose default-location manifest still uses the launcher. */
  launcherStillUsedBy: BrowserName[];
}

async function removeFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export async function uninstallHost(options: UninstallOptions): Promise<UninstallResult> {
  const platform = options.platform ?? process.platform;
  const manifest = manifestFor(options.browser, options);
  const manifestRemoved = await removeFile(manifest.path);
  let registryKeyRemoved: boolean | undefined;
  if (manifest.registryKey && platform === 'win32') {
    try {
      execFileSync('reg', ['delete', manifest.registryKey, '/f'], { stdio: 'ignore' });
      registryKeyRemoved = true;
    } catch {
      registryKeyRemoved = false; // Not there.
    }
  }
  const launcher = launcherPath(options);
  const launcherStillUsedBy: BrowserName[] = [];
  for (const browser of BROWSERS) {
    if (await manifestNames(manifestFor(browser, { ...options, userDataDir: undefined }).path, launcher)) launcherStillUsedBy.push(browser);
  }
  const launcherRemoved =
    (options.removeLauncher || (!options.userDataDir && launcherStillUsedBy.length === 0)) && (await removeFile(launcher));
  return {
    manifestPath: manifest.path,
    manifestRemoved,
    ...(manifest.registryKey ? { registryKey: manifest.registryKey, ...(registryKeyRemoved === undefined ? {} : { registryKeyRemoved }) } : {}),
    launcherPath: launcher,
    launcherRemoved,
    launcherStillUsedBy,
  };
}

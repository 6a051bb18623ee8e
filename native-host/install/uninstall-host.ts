/**
 * Undoes `install`: removes a browser's host manifest (and on Windows its registry key), and the
 * shared launcher script once no manifest at a browser's default location still names it.
 * Manifests in custom --user-data-dir profiles cannot be enumerated, so uninstalling one of those
 * keeps the launcher (another custom profile may still use it) unless `removeLauncher` is set.
 */
import { execFileSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NATIVE_HOST_NAME } from '../../shared/constants';
import { dataDir } from '../paths';
import { BROWSERS, manifestLocation, type BrowserName } from './manifest-locations';

export interface HostPaths {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export function launcherPath(options: HostPaths = {}): string {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  return join(dataDir(env, platform), platform === 'win32' ? 'native-host.bat' : 'native-host.sh');
}

/** Where `install` puts a browser's manifest, and (Windows) the registry key naming it. */
export function manifestFor(browser: BrowserName, options: HostPaths & { userDataDir?: string } = {}): { path: string; registryKey?: string } {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const location = manifestLocation(browser, {
    platform,
    home: env.HOME || env.USERPROFILE || homedir(),
    ...(options.userDataDir ? { userDataDir: options.userDataDir } : {}),
    ...(env.APPDATA ? { appData: env.APPDATA } : {}),
  });
  return {
    path: join(location.dir, `${NATIVE_HOST_NAME}.json`),
    ...(location.registryKey ? { registryKey: `${location.registryKey}\\${NATIVE_HOST_NAME}` } : {}),
  };
}

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

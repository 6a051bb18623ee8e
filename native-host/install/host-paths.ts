/**
 * Where `install` puts its files for this user: the launcher script (one, shared by every browser)
 * and each browser's host manifest (with, on Windows, the registry key naming it). `install`,
 * `uninstall` and `doctor` all ask here, so they agree on every path.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NATIVE_HOST_NAME } from '../../shared/constants';
import { dataDir } from '../paths';
import { manifestLocation, type BrowserName } from './manifest-locations';

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

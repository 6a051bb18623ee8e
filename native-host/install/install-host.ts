/**
 * Registers the host with a browser: a launcher script that runs this exact `node` on this exact
 * host bundle (browsers start hosts with a minimal PATH, so nothing may be looked up), and the
 * host manifest naming the launcher and the only extensions allowed to start it.
 */
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEV_EXTENSION_ID, FIREFOX_ADDON_ID, NATIVE_HOST_NAME } from '../../shared/constants';
import { writeFileAtomic } from '../stores/atomic-file';
import { launcherPath, manifestFor } from './host-paths';
import type { BrowserName } from './manifest-locations';

export interface InstallOptions {
  browser: BrowserName;
  userDataDir?: string;
  extensionId?: string;
  /** Absolute path of the host bundle the launcher runs. */
  hostScript: string;
  nodePath?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export interface InstallResult {
  manifestPath: string;
  launcherPath: string;
  registryKey?: string;
  allowed: string[];
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function launcherScript(nodePath: string, hostScript: string, platform: NodeJS.Platform): string {
  if (platform === 'win32') return `@echo off\r\n"${nodePath}" "${hostScript}" %*\r\n`;
  return `#!/bin/sh\n# Written by mcp-login-bridge install. Browsers start native hosts with a bare PATH, so\n# this pins the node binary and the host bundle by absolute path.\nexec ${shellQuote(nodePath)} ${shellQuote(hostScript)} "$@"\n`;
}

export function hostManifest(browser: BrowserName, launcherPath: string, extensionId: string | undefined) {
  const base = { name: NATIVE_HOST_NAME, description: 'MCP Login Bridge native host', path: launcherPath, type: 'stdio' as const };
  if (browser === 'firefox') return { ...base, allowed_extensions: [extensionId ?? FIREFOX_ADDON_ID] };
  return { ...base, allowed_origins: [`chrome-extension://${extensionId ?? DEV_EXTENSION_ID}/`] };
}

/**
 * The launcher is code the browser runs: written like credentials are (an exclusive temp file with
 * its mode from the start, then a rename), so a planted file or symlink cannot stand in for it. A
 * symlink at its name is replaced, not written through: the browser must run our file, not one
 * the link would keep leading to.
 */
async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, content, mode, { symlinks: 'replace' });
}

export async function installHost(options: InstallOptions): Promise<InstallResult> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  if (options.extensionId !== undefined) {
    const ok = options.browser === 'firefox' ? /^[^\s"]{1,200}$/.test(options.extensionId) : /^[a-p]{32}$/.test(options.extensionId);
    if (!ok) throw new Error(`--extension-id ${JSON.stringify(options.extensionId)} is not a valid ${options.browser} extension id`);
  }
  const launcher = launcherPath({ env, platform });
  await writeAtomic(launcher, launcherScript(options.nodePath ?? process.execPath, options.hostScript, platform), 0o755);

  const manifest = hostManifest(options.browser, launcher, options.extensionId);
  const { path: manifestPath, registryKey } = manifestFor(options.browser, { env, platform, ...(options.userDataDir ? { userDataDir: options.userDataDir } : {}) });
  await writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, 0o644);

  if (registryKey && platform === 'win32') {
    execFileSync('reg', ['add', registryKey, '/ve', '/t', 'REG_SZ', '/d', manifestPath, '/f'], { stdio: 'ignore' });
  }
  return {
    manifestPath,
    launcherPath: launcher,
    ...(registryKey ? { registryKey } : {}),
    allowed: 'allowed_origins' in manifest ? manifest.allowed_origins : manifest.allowed_extensions,
  };
}

/**
 * Which browser started this host, so `login --browser <name>` can pick among several running
 * hosts. The browser is the parent process (our launcher script `exec`s node). Linux reads
 * /proc; macOS asks `ps`; elsewhere, or when that fails, the browser is "unknown".
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { BROWSERS } from '../install/manifest-locations';

export interface BrowserIdentity {
  browser: string;
  userDataDir?: string;
}

/** Maps an executable name to one of `install`'s browser names where it is one of them. */
export function browserNameFromExecutable(executable: string): string {
  const name = basename(executable).toLowerCase().replace(/\.exe$/, '');
  if (name.includes('chromium')) return 'chromium';
  if (name.includes('msedge') || name.includes('microsoft edge')) return 'edge';
  if (name.includes('brave')) return 'brave';
  if (name.includes('vivaldi')) return 'vivaldi';
  if (name.includes('firefox')) return 'firefox';
  if (name.includes('chrome')) return 'chrome';
  return (BROWSERS as readonly string[]).includes(name) ? name : name.replace(/[^a-z0-9._-]/g, '').slice(0, 40) || 'unknown';
}

/** Reads a browser's identity from its command line (argv as the OS reports it). */
export function identityFromArgv(argv: string[]): BrowserIdentity {
  const exe = argv[0];
  if (!exe) return { browser: 'unknown' };
  const dir = argv.find((a) => a.startsWith('--user-data-dir='))?.slice('--user-data-dir='.length);
  return { browser: browserNameFromExecutable(exe), ...(dir ? { userDataDir: dir } : {}) };
}

export function detectBrowser(ppid: number = process.ppid, platform: NodeJS.Platform = process.platform): BrowserIdentity {
  try {
    if (platform === 'linux') {
      // The executable from /proc/<pid>/exe: Chromium rewrites its visible command line into one
      // space-joined string (its process title), so argv[0] there is not a path.
      const exe = readlinkSync(`/proc/${ppid}/exe`);
      const cmdline = readFileSync(`/proc/${ppid}/cmdline`, 'utf8');
      const argv = cmdline.split('\0').filter(Boolean);
      const joined = argv.length === 1 ? (/(?:^|\s)--user-data-dir=(\S+)/.exec(argv[0]!)?.[1] ?? undefined) : undefined;
      const fromArgv = identityFromArgv([exe, ...argv.slice(1)]);
      return { ...fromArgv, ...(joined ? { userDataDir: joined } : {}) };
    }
    if (platform === 'darwin') {
      const comm = execFileSync('ps', ['-o', 'comm=', '-p', String(ppid)], { encoding: 'utf8', timeout: 2000 }).trim();
      return { browser: browserNameFromExecutable(comm) };
    }
  } catch {
    // The parent is gone or hidden from us.
  }
  return { browser: 'unknown' };
}

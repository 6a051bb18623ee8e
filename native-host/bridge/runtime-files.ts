/**
 * Where a browser-launched host announces its bridge: one file per host process,
 * `host-<pid>.json` = `{ version, pid, port, secret, browser, startedAt }`, mode 0600, in a 0700
 * runtime directory of this user. Several browsers or profiles each run their own host, so there
 * may be several files; the CLI takes the most recently active one (the file's mtime, which the
 * host touches when its extension talks to it) or the one `--browser` names. A file whose pid is
 * gone is stale: ignored, and removed when seen.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readFile, rename, unlink, utimes } from 'node:fs/promises';
import { homedir, hostname, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export const RUNTIME_FILE_VERSION = 1;

export interface BridgeInfo {
  version: number;
  pid: number;
  port: number;
  secret: string;
  /** The browser that started the host, e.g. "chromium" ("unknown" when it could not tell). */
  browser: string;
  /** The browser profile folder, when the browser was started with --user-data-dir. */
  userDataDir?: string;
  startedAt: number;
}

export interface FoundBridge extends BridgeInfo {
  path: string;
  /** Last activity (the file's mtime), epoch ms. */
  activeAt: number;
}

/**
 * `$MCP_LOGIN_BRIDGE_RUNTIME_DIR` (tests) or a per-user place that no other user can create first:
 * - Linux and other Unixes: `$XDG_RUNTIME_DIR/mcp-login-bridge` (the login manager makes it 0700
 *   for the user); without it `$XDG_CACHE_HOME/mcp-login-bridge/run-<host>` (default `~/.cache`).
 *   Not `/tmp/mcp-login-bridge-<uid>`: any local user can create that name first, and the host
 *   (rightly) refuses a folder it does not own, so it could never start. `<host>` because a home
 *   may be shared between machines (NFS) and a pid or a loopback port means nothing on another one.
 * - macOS: `$TMPDIR/mcp-login-bridge` (the OS sets TMPDIR to a per-user 0700 folder); without it
 *   `~/Library/Caches/mcp-login-bridge/run` (not the hostname: a Mac's changes with the network).
 * - Windows: `%LOCALAPPDATA%\mcp-login-bridge\run` (per-user, protected by its ACL).
 * The browser-launched host and the CLI each compute it from their own environment.
 */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, host: string = hostname()): string {
  if (env.MCP_LOGIN_BRIDGE_RUNTIME_DIR) return env.MCP_LOGIN_BRIDGE_RUNTIME_DIR;
  if (platform === 'win32') {
    return join(env.LOCALAPPDATA || join(env.USERPROFILE || tmpdir(), 'AppData', 'Local'), 'mcp-login-bridge', 'run');
  }
  const home = env.HOME || homedir();
  if (platform === 'darwin') return env.TMPDIR ? join(env.TMPDIR, 'mcp-login-bridge') : join(home, 'Library', 'Caches', 'mcp-login-bridge', 'run');
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'mcp-login-bridge');
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const cache = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(home, '.cache');
  return join(cache, 'mcp-login-bridge', `run-${hostTag(host)}`);
}

/** The hostname as a safe path segment. */
function hostTag(host: string): string {
  return host.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'localhost';
}

/**
 * Creates the directory 0700, or checks an existing one: a real directory (not a link), ours, and
 * closed to others (tightened to 0700 if it was not). Refuses anything else, since the files in it
 * hold the bridge secret.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  const info = await lstat(dir);
  if (!info.isDirectory()) throw new Error(`${dir} is not a directory; remove it so mcp-login-bridge can create its runtime folder`);
  if (process.getuid && info.uid !== process.getuid()) throw new Error(`${dir} belongs to another user; refusing to put the bridge secret there`);
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

function fileFor(dir: string, pid: number): string {
  return join(dir, `host-${pid}.json`);
}

/** Writes this host's file (0600, atomically) and returns its path. */
export async function writeBridgeFile(dir: string, info: BridgeInfo): Promise<string> {
  await ensurePrivateDir(dir);
  const path = fileFor(dir, info.pid);
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(info)}\n`);
    // The umask may have narrowed the mode further; it can never have widened it.
    await handle.chmod(0o600);
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  return path;
}

/** Marks the host as just used (the CLI prefers the most recently active host). */
export async function touchBridgeFile(path: string, now = new Date()): Promise<void> {
  await utimes(path, now, now).catch(() => undefined);
}

/** Removes the file synchronously (for process exit handlers). */
export function removeBridgeFileSync(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * Whether `pid` may still be the host that wrote a file of ours. `kill` and `platform` are seams
 * for tests.
 */
export function isAlive(
  pid: number,
  kill: (pid: number, signal: number) => unknown = process.kill.bind(process),
  platform: NodeJS.Platform = process.platform,
): boolean {
  try {
    kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists but belongs to another user. Our host always runs as us, so on POSIX
    // that is a reused pid, not our host: the file is stale (trusting it would send the login and
    // its secret to whatever now listens on that port). Windows reports EPERM for other reasons
    // (e.g. protected processes of our own), so there it still counts as running.
    return platform === 'win32' && (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseBridgeInfo(text: string): BridgeInfo | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const int = (x: unknown, max: number) => typeof x === 'number' && Number.isSafeInteger(x) && x > 0 && x <= max;
  if (o.version !== RUNTIME_FILE_VERSION || !int(o.pid, 2 ** 31) || !int(o.port, 65535)) return undefined;
  if (typeof o.secret !== 'string' || !/^[A-Za-z0-9_-]{32,128}$/.test(o.secret)) return undefined;
  if (typeof o.browser !== 'string' || o.browser.length > 100) return undefined;
  return {
    version: RUNTIME_FILE_VERSION,
    pid: o.pid as number,
    port: o.port as number,
    secret: o.secret,
    browser: o.browser,
    ...(typeof o.userDataDir === 'string' ? { userDataDir: o.userDataDir } : {}),
    startedAt: typeof o.startedAt === 'number' ? o.startedAt : 0,
  };
}

export interface BridgeScan {
  /** The running hosts' bridges, most recently active first. */
  bridges: FoundBridge[];
  /** Why the runtime directory was not read at all, for `doctor`; never a secret. */
  refused?: string;
}

export interface ScanOptions {
  /** The uid that must own the directory and files (tests inject another). Default: ours. */
  uid?: number;
}

/**
 * Why `dir` may not be trusted, or undefined when it may (or does not exist). It must be a real
 * directory (not a symlink to one someone else controls), ours, and closed to others: its files
 * carry the secret that lets a process drive the user's browser host, so a folder anyone else
 * could write in could hold planted bridges.
 */
export async function runtimeDirProblem(dir: string, uid: number | undefined = process.getuid?.()): Promise<string | undefined> {
  let info;
  try {
    info = await lstat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? undefined : `the runtime folder ${dir} cannot be read (${code ?? 'error'})`;
  }
  if (info.isSymbolicLink()) return `the runtime folder ${dir} is a symbolic link, not a folder: ignored; remove it (the host recreates the folder when it starts)`;
  if (!info.isDirectory()) return `the runtime folder ${dir} is not a folder: ignored; remove it (the host recreates the folder when it starts)`;
  if (process.platform === 'win32') return undefined;
  if (uid !== undefined && info.uid !== uid) return `the runtime folder ${dir} belongs to another user (uid ${info.uid}): ignored; remove it`;
  if ((info.mode & 0o077) !== 0) {
    return `the runtime folder ${dir} is open to other users (mode 0${(info.mode & 0o777).toString(8)}): ignored; run "chmod 700 ${dir}" or remove it`;
  }
  return undefined;
}

/**
 * The running hosts' bridges, most recently active first, from a trusted runtime directory only
 * (`refused` says why not). Files of dead processes are removed; unreadable or foreign files are
 * skipped. Files that are not regular, ours and private (0600) are ignored: someone else could
 * have written them.
 */
export async function scanBridges(dir: string = runtimeDir(), options: ScanOptions = {}): Promise<BridgeScan> {
  const uid = 'uid' in options ? options.uid : process.getuid?.();
  const refused = await runtimeDirProblem(dir, uid);
  if (refused) return { bridges: [], refused };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { bridges: [] };
  }
  const found: FoundBridge[] = [];
  for (const name of names) {
    if (!/^host-\d+\.json$/.test(name)) continue;
    const path = join(dir, name);
    try {
      const info = await lstat(path);
      if (!info.isFile()) continue;
      if (process.platform !== 'win32' && ((info.mode & 0o077) !== 0 || (uid !== undefined && info.uid !== uid))) continue;
      const parsed = parseBridgeInfo(await readFile(path, 'utf8'));
      if (!parsed || name !== `host-${parsed.pid}.json`) continue;
      if (!isAlive(parsed.pid)) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      found.push({ ...parsed, path, activeAt: info.mtimeMs });
    } catch {
      // Vanished while we looked: the host just exited.
    }
  }
  return { bridges: found.sort((a, b) => b.activeAt - a.activeAt) };
}

/** The running hosts' bridges (see scanBridges); none when the directory is not trusted. */
export async function listBridges(dir: string = runtimeDir(), options: ScanOptions = {}): Promise<FoundBridge[]> {
  return (await scanBridges(dir, options)).bridges;
}

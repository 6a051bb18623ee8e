/**
 * Exclusive advisory locks that interoperate with Codex: Codex takes `flock(2)` (Rust's
 * `File::lock`/`try_lock`) on its lock files, so ours must be real `flock(2)` on the same files —
 * a lock directory or a pid file would not exclude it.
 *
 * Node has no flock binding, and the native addons that add one (fs-ext and forks) need a compiler
 * at install time, which CI and users' machines may lack. So we let a tiny helper take the lock
 * on OUR file descriptor: flock(2) locks belong to the open file description, which a child shares
 * when it inherits the fd. The helper (`flock(1)` from util-linux on Linux, Perl's `flock` where
 * that is missing, e.g. macOS) locks fd 3 and exits; the lock stays with our fd until we close it,
 * or until this process dies — never a stale lock after a crash.
 *
 * Cost: one short child process per lock (~2–5 ms), which is nothing next to a keychain call.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import type { HeldLock } from './held-lock';

export type LockTool = 'flock' | 'perl';

export interface LockOptions {
  /** How long to wait for another holder. Codex waits up to 60 s for its own locks. */
  timeoutMs?: number;
  /** Which helper takes the lock; default: flock(1) when installed, else perl. */
  tool?: LockTool;
}


const TIMEOUT_EXIT = 75;
const DEFAULT_TIMEOUT_MS = 60_000;

// Perl: fdopen fd 3 (no dup, so the same open file description), then poll a non-blocking lock
// until the deadline, as Codex itself does.
const PERL_SCRIPT = `
use Fcntl qw(:flock);
open(my $fh, '+<&=', 3) or exit 70;
my $end = time() + $ARGV[0];
until (flock($fh, LOCK_EX | LOCK_NB)) { exit ${TIMEOUT_EXIT} if time() > $end; select(undef, undef, undef, 0.02); }
exit 0;
`;

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((dir) => dir && existsSync(join(dir, tool)));
}

export function defaultLockTool(): LockTool {
  return onPath('flock') ? 'flock' : 'perl';
}

function helperCommand(tool: LockTool, timeoutMs: number): [string, string[]] {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  return tool === 'flock'
    ? ['flock', ['--exclusive', '--wait', String(seconds), '--conflict-exit-code', String(TIMEOUT_EXIT), '3']]
    : ['perl', ['-e', PERL_SCRIPT, String(seconds)]];
}

function runHelper(command: string, args: string[], fd: number): Promise<{ code: number | null; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-500)));
    child.on('error', (error) => resolve({ code: null, stderr, error }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Takes an exclusive flock(2) on `path` (created 0600, parent directories 0700, if missing). */
export async function acquireFileLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  if (process.platform === 'win32') {
    throw new ProtocolError(
      ErrorCode.StoreFailed,
      `Locking ${path} is not supported on Windows yet, so the credential file cannot be written safely next to a running client.`,
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tool = options.tool ?? defaultLockTool();
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  } catch (error) {
    throw new ProtocolError(ErrorCode.StoreFailed, `Cannot open the lock file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`);
  }
  const [command, args] = helperCommand(tool, timeoutMs);
  const result = await runHelper(command, args, fd);
  if (result.code === 0) {
    let held = true;
    return {
      path,
      lost: () => false,
      async release() {
        if (!held) return;
        held = false;
        closeSync(fd); // closing our (only remaining) descriptor drops the flock
      },
    };
  }
  closeSync(fd);
  if (result.code === TIMEOUT_EXIT) {
    throw new ProtocolError(
      ErrorCode.StoreFailed,
      `Another process (a running Codex, or another mcp-login-bridge) held ${path} for more than ${Math.round(timeoutMs / 1000)} s; retry when it is done.`,
    );
  }
  const why = result.error ? `${command} could not be started (${(result.error as NodeJS.ErrnoException).code ?? result.error.message})` : `${command} exited with ${result.code}: ${result.stderr.trim()}`;
  throw new ProtocolError(
    ErrorCode.StoreFailed,
    `Cannot lock ${path}: ${why}. mcp-login-bridge needs flock(1) (Debian/Ubuntu: util-linux) or perl to take the same locks as Codex.`,
  );
}

/** Runs `fn` holding every lock in `paths`, taken in the given order, released in reverse. */
export async function withFileLocks<T>(paths: readonly string[], fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const held: HeldLock[] = [];
  try {
    for (const path of paths) held.push(await acquireFileLock(path, options));
    return await fn();
  } finally {
    for (const lock of held.reverse()) await lock.release();
  }
}

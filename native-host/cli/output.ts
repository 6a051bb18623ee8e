/**
 * How commands talk to people and scripts: results on stdout (JSON with --json), progress and
 * errors on stderr, and exit codes scripts can branch on.
 */
import { ErrorCode, ProtocolError, errorName } from '../../shared/errors';
import { terminalSafe } from '../terminal-text';

// The table lives in exit-codes.ts; commands import it from here with the rest of their output.
export { ExitCode } from './exit-codes';
import { ExitCode } from './exit-codes';

/** Where a command's results and messages go: this process's streams unless a test passes its own. */
export interface OutputStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

/** A mistake in the command line: reported with a hint and the command's --help, exit 2, no stack. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** A next step: "Did you mean --json?", or the options there are. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

// The command being run, for the "--help" pointer of a usage error (set once, by main).
let usageCommand: string | undefined;
export function setUsageCommand(name: string | undefined): void {
  usageCommand = name;
}

/** The one way a usage error reaches the user: message, hint, the command's own --help; exit 2. */
export function reportUsageError(err: UsageError, json: boolean, io: OutputStreams = process): number {
  const help = `mcp-login-bridge ${usageCommand ? `${usageCommand} ` : ''}--help`;
  if (json) {
    printJson({ ok: false, error: { code: 0, name: 'Usage', message: err.message, ...(err.hint ? { hint: err.hint } : {}), help } }, io.stdout);
  } else {
    // A usage error quotes what the user typed: it may not drive the terminal.
    io.stderr.write(`mcp-login-bridge${usageCommand ? ` ${usageCommand}` : ''}: ${terminalSafe(err.message, true)}\n`);
    if (err.hint) io.stderr.write(`${terminalSafe(err.hint, true)}\n`);
    io.stderr.write(`Run "${help}" for usage.\n`);
  }
  return ExitCode.Usage;
}

/**
 * JSON.stringify escapes C0 controls but writes DEL, C1 controls (U+009B is a one-byte CSI) and
 * bidi overrides as they are; escaped as \uXXXX they are the same JSON value and cannot drive a
 * terminal the output lands on. They can only occur inside strings, so the replacement is exact.
 */
const JSON_UNSAFE = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The times --json reports, all epoch milliseconds. Each gets an ISO 8601 twin beside it
 * (`expiresAt` and `expiresAtIso`): scripts that compare numbers keep working, and a person or a
 * tool that reads dates gets one unambiguous format (UTC). A null time (no expiry) stays null in both.
 */
const TIME_FIELDS = new Set(['expiresAt', 'updatedAt', 'registeredAt']);

/** A copy of a JSON value with `<time>Iso` next to every time field, at any depth. */
export function withIsoTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withIsoTimes);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = withIsoTimes(field);
    if (TIME_FIELDS.has(key) && (field === null || (typeof field === 'number' && Math.abs(field) <= 8.64e15))) {
      out[`${key}Iso`] = field === null ? null : new Date(field).toISOString();
    }
  }
  return out;
}

export function printJson(value: unknown, stdout: OutputStreams['stdout'] = process.stdout): void {
  const text = JSON.stringify(withIsoTimes(value), null, 2).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  stdout.write(`${text}\n`);
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return ExitCode.Usage;
  if (err instanceof ProtocolError && (err.code === ErrorCode.LoginNeeded || err.code === ErrorCode.NotLoggedIn)) return ExitCode.LoginNeeded;
  return ExitCode.Failed;
}

/** Reports a failure; with --json as an object on stdout so scripts parse one format. */
export function reportError(err: unknown, json: boolean, io: OutputStreams = process): number {
  if (err instanceof UsageError) return reportUsageError(err, json, io);
  const code = exitCodeFor(err);
  if (json) {
    const body =
      err instanceof ProtocolError
        ? { code: err.code, name: errorName(err.code), message: err.message }
        : { code: ErrorCode.Internal, name: 'Internal', message: (err as Error).message };
    printJson({ ok: false, error: body }, io.stdout);
  } else {
    // Messages quote what the user typed and what servers sent: neither may drive the terminal.
    const { sentence, details } = errorForPeople(err);
    io.stderr.write(`mcp-login-bridge: ${terminalSafe(sentence, true)}\n${details ? `${details}\n` : ''}`);
  }
  return code;
}

/**
 * The one place a host error becomes what a person reads: the message as a sentence (it says what
 * happened and what to do), then the code on a line of its own, for a bug report or a search, where
 * it does not compete with the sentence. Scripts get the same three parts as fields in --json.
 */
export function errorForPeople(err: unknown): { sentence: string; details?: string } {
  const message = err instanceof Error ? err.message : String(err);
  // Only the host's numbered errors have a code worth quoting; the CLI's own conditions (stdin
  // closed, no callback in time) are not "Internal", whatever --json has to call them.
  if (!(err instanceof ProtocolError)) return { sentence: sentenceCase(message) };
  return { sentence: sentenceCase(message), details: `Details: ${errorName(err.code)} (${err.code})` };
}

/**
 * Capitalises the first word when it is an ordinary lowercase word ("could not reach …"), never
 * when the message starts with something the user typed or must type exactly (a URL, an --option,
 * a host name, a path).
 */
export function sentenceCase(message: string): string {
  return /^[a-z][a-z']*(?=[\s,;:]|$)/.test(message) ? `${message[0]!.toUpperCase()}${message.slice(1)}` : message;
}

/**
 * A time for people: local, to the minute, with the date only when it is not today ("14:05",
 * "3 Dec, 14:05"). Scripts get the number (epoch ms) and its ISO 8601 form in --json.
 */
export function formatLocalTime(epochMs: number, now = Date.now()): string {
  const at = new Date(epochMs);
  const time = at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return at.toDateString() === new Date(now).toDateString() ? time : `${at.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: at.getFullYear() === new Date(now).getFullYear() ? undefined : 'numeric' })}, ${time}`;
}

export function formatExpiry(expiresAt: number | null, now = Date.now()): string {
  if (expiresAt === null) return 'no expiry given';
  const seconds = Math.round((expiresAt - now) / 1000);
  if (seconds <= 0) return `expired at ${formatLocalTime(expiresAt, now)}`;
  const minutes = Math.floor(seconds / 60);
  const inHours = minutes >= 120 ? `${Math.floor(minutes / 60)} h` : minutes >= 1 ? `${minutes} min` : `${seconds} s`;
  return `expires in ${inHours} (at ${formatLocalTime(expiresAt, now)})`;
}

/** A one-line progress indicator on stderr while waiting; plain lines when stderr is not a TTY. */
export function startProgress(progressText: string, stderr: OutputStreams['stderr'] = process.stderr): { stop(final?: string): void } {
  // The text names the server the user typed; it is printed as text, never as terminal controls.
  const text = terminalSafe(progressText);
  if (!stderr.isTTY) {
    stderr.write(`${text}\n`);
    return { stop: (final) => final && stderr.write(`${terminalSafe(final)}\n`) };
  }
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    const secs = Math.round((Date.now() - started) / 1000);
    stderr.write(`\r${frames[i++ % frames.length]} ${text} (${secs}s)`);
  }, 100);
  timer.unref();
  return {
    stop(final) {
      clearInterval(timer);
      stderr.write(`\r\x1b[K${final ? `${terminalSafe(final)}\n` : ''}`);
    },
  };
}

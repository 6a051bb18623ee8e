/**
 * The CLI's exit codes, named in one place: scripts branch on them (`token` in a headers helper,
 * `status` in a prompt), so a number is never typed anywhere else, and every command's `--help`
 * and the README's table are written from this one table.
 */

export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  /** Logged in, but no refresh token: the login ends with the access token. */
  NotRefreshCapable: 3,
  /** The stored login cannot be refreshed: log in again. */
  LoginNeeded: 4,
  /** Ctrl-C, as shells report SIGINT. */
  Interrupted: 130,
} as const;

export type ExitCodeName = keyof typeof ExitCode;

/**
 * What each code means in general; a command's help says what it means there. The README's
 * "Exit codes" table repeats these lines word for word (a test holds them together).
 */
export const EXIT_CODE_MEANINGS: Record<ExitCodeName, string> = {
  Ok: 'done',
  Failed: 'failed: the message says why and what to do',
  Usage: 'usage error: the command line is wrong, nothing was done',
  NotRefreshCapable: 'login only: logged in, but without a refresh token',
  LoginNeeded: 'not logged in, or the login must be renewed: run mcp-login-bridge login <url>',
  Interrupted: 'interrupted (Ctrl-C)',
};

/** The whole table, for the main `--help`: one code a line. */
export function exitCodesTable(): string {
  return (Object.entries(ExitCode) as [ExitCodeName, number][])
    .map(([name, code]) => `  ${String(code).padEnd(4)} ${EXIT_CODE_MEANINGS[name]}`)
    .join('\n');
}

/** Help text is wrapped to this width, like the rest of each command's help. */
const HELP_WIDTH = 100;

/**
 * A command's "Exit codes:" paragraph for its `--help`: the codes it can exit with, in numeric
 * order, each followed by what it means for that command. The numbers come from the table.
 */
export function exitCodesHelp(meanings: Partial<Record<ExitCodeName, string>>): string {
  const entries = (Object.entries(meanings) as [ExitCodeName, string][]).sort(([a], [b]) => ExitCode[a] - ExitCode[b]);
  const words = `Exit codes: ${entries.map(([name, meaning]) => `${ExitCode[name]} ${meaning}`).join(', ')}.`.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines.join('\n');
}

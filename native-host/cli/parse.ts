import { parseArgs, type ParseArgsConfig } from 'node:util';
import { serverUrlProblem } from '../../shared/server-url';
import { closestName } from './did-you-mean';
import { UsageError } from './output';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into usage errors a person can act on. */
export function parseCommand<O extends Options>(args: string[], options: O) {
  const all = { ...options, help: { type: 'boolean', short: 'h' } } as O & { help: { type: 'boolean'; short: 'h' } };
  try {
    return parseArgs({ args, options: all, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageErrorFromParse(err as Error & { code?: string }, all);
  }
}

function usageErrorFromParse(err: Error & { code?: string }, options: Options): UsageError {
  const names = Object.keys(options).map((n) => `--${n}`);
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const typed = /'([^']+)'/.exec(err.message)?.[1] ?? '';
    const guess = typed.startsWith('--') ? closestName(typed.split('=')[0]!, names) : undefined;
    return new UsageError(
      `unknown option ${typed}`,
      guess ? `Did you mean ${guess}?` : `Options: ${names.join(', ')}.`,
    );
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /'(--?[\w-]+)/.exec(err.message)?.[1];
    const flag = option && Object.entries(options).find(([n, o]) => `--${n}` === option || `-${o.short}` === option);
    if (flag && flag[1].type === 'string') return new UsageError(`${option} needs a value, e.g. ${option} <value>`);
    if (flag) return new UsageError(`${option} takes no value`);
  }
  return new UsageError(err.message.replace(/\. To specify a positional argument.*$/s, ''));
}

/** Exactly one URL positional, checked by the one server-URL check (shared/server-url.ts). */
export function serverUrlArg(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes one server URL, e.g. mcp-login-bridge ${command} https://example.com/mcp`);
  const value = positionals[0]!;
  const problem = serverUrlProblem(value);
  // Only what is not a URL at all is quoted (to show what was typed): a URL may hold a password.
  if (problem?.kind === 'not-a-url') throw new UsageError(`${JSON.stringify(value)} is not a URL; give the MCP server's full URL, e.g. https://example.com/mcp`);
  if (problem) throw new UsageError(problem.message);
  return value;
}

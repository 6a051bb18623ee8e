import { parseArgs, type ParseArgsConfig } from 'node:util';
import { serverUrlProblem } from '../../shared/server-url';
import { closestName } from './did-you-mean';
import { UsageError } from './output';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into usage errors a person can act on. */
export function parseCommand<O extends Options>(args: string[], options: O) {
  const all = { ...options, help: { type: 'boolean', short: 'h' } } as O & { help: { type: 'boolean'; short: 'h' } };
  const config = { args, options: all, allowPositionals: true, strict: true } as const;
  const plain = plainFlags(args, all);
  if (plain) return plain as ReturnType<typeof parseArgs<typeof config>>;
  try {
    return parseArgs(config);
  } catch (err) {
    throw usageErrorFromParse(err as Error & { code?: string }, all);
  }
}

/**
 * What parseArgs returns for a line of positionals and bare boolean flags (`--json`, `-h`), which
 * is every line a token helper runs; undefined for anything else (a value, `--`, a short group, an
 * unknown or repeatable option, defaults), which parseArgs then parses and checks. Node loads
 * parseArgs's two modules at its first call, about a millisecond of `token`'s start-up.
 */
function plainFlags(args: readonly string[], options: Options): { values: Record<string, boolean>; positionals: string[] } | undefined {
  for (const name in options) if (options[name]!.default !== undefined) return undefined;
  const values: Record<string, boolean> = { __proto__: null } as unknown as Record<string, boolean>;
  const positionals: string[] = [];
  for (const arg of args) {
    if (!arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    const name = arg === '-h' ? 'help' : arg.startsWith('--') ? arg.slice(2) : undefined;
    const option = name === undefined || !Object.hasOwn(options, name) ? undefined : options[name];
    if (!option || option.type !== 'boolean' || option.multiple) return undefined;
    values[name!] = true;
  }
  return { values, positionals };
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

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './output';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into usage errors a person can act on. */
export function parseCommand<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, '.'));
  }
}

/** Exactly one URL positional, validated. */
export function serverUrlArg(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes one server URL, e.g. mcp-login-bridge ${command} https://example.com/mcp`);
  const value = positionals[0]!;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${JSON.stringify(value)} is not a URL; give the MCP server's full URL, e.g. https://example.com/mcp`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`${value} must be an http(s) URL`);
  // Not echoed: the value holds a password.
  if (url.username || url.password) throw new UsageError('the server URL must not hold a user name or password (the part before "@"); give it without them');
  return value;
}

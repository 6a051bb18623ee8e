/**
 * The server argument of `login` and `token`. `login <server-url|name>`: a URL is used as given; a
 * bare name is looked up among the MCP servers configured in Codex (`[mcp_servers.<name>]` with a
 * `url` in `$CODEX_HOME/config.toml`). `token <server-url>`: a URL only.
 *
 * Both refuse an argument longer than the URL limit the native protocol enforces on `begin`
 * (LIMITS.maxUrlLength) before anything else: before it is echoed in a message, looked up or sent
 * anywhere, so a huge argument costs nothing and prints nothing but its length.
 */
import { LIMITS } from '../../shared/protocol';
import { codexConfigPath, codexHome, readCodexConfig } from '../clients/codex-config';
import { UsageError } from './output';
import { serverUrlArg } from './parse';
import { terminalSafe } from './terminal-text';

const NAME = /^[A-Za-z0-9_-]{1,100}$/;

/** Throws a usage error, quoting only the length, when an argument exceeds the URL limit. */
export function assertServerArgLength(positionals: readonly string[], command: string): void {
  for (const value of positionals) {
    if (value.length > LIMITS.maxUrlLength) {
      throw new UsageError(
        `${command}: the server URL is ${value.length} characters long; at most ${LIMITS.maxUrlLength} are accepted`,
      );
    }
  }
}

/** `token`'s argument: one server URL, within the limit. */
export function serverUrlFromArgs(positionals: readonly string[], command: string): string {
  assertServerArgLength(positionals, command);
  return serverUrlArg([...positionals], command);
}

export async function resolveServerArg(positionals: string[], command: string): Promise<{ serverUrl: string; name?: string }> {
  assertServerArgLength(positionals, command);
  const value = positionals.length === 1 ? positionals[0]! : undefined;
  if (value === undefined || !NAME.test(value)) return { serverUrl: serverUrlArg(positionals, command) };
  const config = await readCodexConfig();
  const server = config.servers.find((s) => s.name === value);
  if (!server) {
    const known = config.servers.map((s) => terminalSafe(s.name));
    throw new UsageError(
      `${JSON.stringify(value)} is neither a URL nor an MCP server configured in Codex (${codexConfigPath(codexHome())}` +
        `${known.length ? `, which has: ${known.join(', ')}` : ''}); give the server's full URL, e.g. https://example.com/mcp`,
    );
  }
  return { serverUrl: serverUrlArg([server.url], command), name: server.name };
}

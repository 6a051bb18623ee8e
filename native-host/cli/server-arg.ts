/**
 * The server argument of `login` and `token`. `login <server-url|name>`: a URL is used as given; a
 * bare name is looked up among the MCP servers configured in Codex (`[mcp_servers.<name>]` with a
 * `url` in `$CODEX_HOME/config.toml`). `token <server-url>`: a URL only.
 *
 * Both refuse an argument longer than the URL limit first (server-arg-limit.ts).
 */
import { codexConfigPath, codexHome, readCodexConfig } from '../clients/codex-config';
import { UsageError } from './output';
import { serverUrlArg } from './parse';
import { assertServerArgLength } from './server-arg-limit';
import { terminalSafe } from './terminal-text';

const NAME = /^[A-Za-z0-9_-]{1,100}$/;

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

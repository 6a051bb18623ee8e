/**
 * The server argument of `login` and `token`: a URL is used as given; a bare name is looked up
 * among the MCP servers the local clients have configured (each client's `discover`), and must
 * name one URL. Both refuse an argument longer than the URL limit first (server-arg-limit.ts).
 */
import { discoverClientServers } from '../clients/configured-servers';
import { clientAdapters } from '../clients/registry';
import { UsageError } from './output';
import { serverUrlArg } from './parse';
import { assertServerArgLength } from './server-arg-limit';
import { terminalSafe } from '../terminal-text';

const NAME = /^[A-Za-z0-9_-]{1,100}$/;

export async function resolveServerArg(positionals: string[], command: string): Promise<{ serverUrl: string; name?: string }> {
  assertServerArgLength(positionals, command);
  const value = positionals.length === 1 ? positionals[0]! : undefined;
  if (value === undefined || !NAME.test(value)) return { serverUrl: serverUrlArg(positionals, command) };
  const adapters = clientAdapters();
  const discovery = await discoverClientServers(adapters);
  const urls = [...new Set(discovery.servers.filter(({ server }) => server.name === value).map(({ server }) => server.url))];
  if (urls.length === 1) return { serverUrl: serverUrlArg([urls[0]!], command), name: value };
  if (urls.length > 1) {
    throw new UsageError(`${JSON.stringify(value)} names different servers in the clients' configs (${urls.map((u) => terminalSafe(u)).join(', ')}); give the server's full URL`);
  }
  const known = [...new Set(discovery.servers.map(({ server }) => terminalSafe(server.name)))];
  const unreadable = discovery.problems.length ? ` (unreadable: ${discovery.problems.map((p) => p.message).join('; ')})` : '';
  throw new UsageError(
    `${JSON.stringify(value)} is neither a URL nor an MCP server configured in ${adapters.map((a) => a.label).join(' or ')}` +
      `${known.length ? `, which have: ${known.join(', ')}` : ''}${unreadable}; give the server's full URL, e.g. https://example.com/mcp`,
  );
}

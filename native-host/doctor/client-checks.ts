/**
 * `doctor`'s look at the local MCP clients, one registered adapter at a time: configs it cannot
 * read (their servers are then missing from every login), and, per configured server, whether a
 * login's copy could be written there (the adapter's preflight, which writes nothing).
 */
import type { ClientAdapter } from '../clients/client-adapter';
import { clientAdapters } from '../clients/registry';
import type { Check } from './check';

export async function checkClients(adapters: readonly ClientAdapter[] = clientAdapters()): Promise<Check[]> {
  const checks: Check[] = [];
  for (const adapter of adapters) {
    const id = `client:${adapter.id}`;
    const discovered = await adapter.discover();
    const { problems } = discovered;
    // A server that asks `token` through a headers helper gets no copy: nothing to check there.
    const asking = discovered.servers.filter((s) => s.asksToken);
    const servers = discovered.servers.filter((s) => !s.asksToken);
    for (const server of asking) checks.push({ id, status: 'info', message: `${adapter.label}: server "${server.name}" asks mcp-login-bridge token through its ${server.asksToken}, so no copy of a login is written there` });
    for (const problem of problems) checks.push({ id, status: 'warn', message: problem.message, fix: 'fix the file as the message says; until then logins are not written for its servers' });
    const refusals = [];
    for (const server of servers) {
      const refusal = await adapter.checkWritable(server);
      if (refusal) refusals.push(refusal);
    }
    for (const refusal of refusals) checks.push({ id, status: 'warn', message: refusal.message });
    if (!servers.length && !problems.length && !asking.length) {
      checks.push({ id, status: 'info', message: `${adapter.label}: no MCP server with a URL configured, so logins are not written there` });
    } else if (servers.length > refusals.length) {
      const names = [...new Set(servers.map((s) => s.name))];
      checks.push({ id, status: 'ok', message: `${adapter.label}: ${names.length} server(s) configured (${names.join(', ')}); logins are written there` });
    }
  }
  return checks;
}

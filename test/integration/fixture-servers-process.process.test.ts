/**
 * The provider and MCP server in a child process (what the capture bench runs against): they
 * answer from there as they do in process, the counts come back over the pipe, and closing ends
 * the child.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureServersProcess, type FixtureServersProcess } from '../fixtures/fixture-servers-process';
import { exchangeAtProvider } from '../helpers/direct-exchange';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('fixture servers in their own process', () => {
  let servers: FixtureServersProcess;
  beforeAll(async () => {
    servers = await startFixtureServersProcess();
  });
  afterAll(async () => {
    await servers?.close();
  });

  it('serves the MCP server (401 with its metadata) and the provider, a code exchange counted and timed there', async () => {
    expect(servers.pid).not.toBe(process.pid);
    const unauthorized = await fetch(servers.mcp.url, { method: 'POST' });
    expect(unauthorized.status).toBe(401);
    const metadata = (await (await fetch(servers.mcp.resourceMetadataUrl)).json()) as { authorization_servers: string[] };
    expect(metadata.authorization_servers).toEqual([servers.provider.issuer]);

    const before = await servers.provider.counts();
    const exchange = await exchangeAtProvider(servers.provider, servers.mcp.url);
    expect(exchange.status).toBe(200);
    const after = await servers.provider.counts();
    expect(after.authorizeRequests).toBe(before.authorizeRequests + 1);
    expect(after.tokenRequests).toBe(before.tokenRequests + 1);
    expect(after.lastTokenRequestMs).toBeGreaterThan(0);
    // Counts only: nothing secret crosses the pipe.
    expect(Object.keys(after).sort()).toEqual(['authorizeRequests', 'consents', 'lastTokenRequestMs', 'refreshRequests', 'refreshTokensIssued', 'tokenRequests']);
  });

  it('ends the child on close', async () => {
    const pid = servers.pid;
    await servers.close();
    expect(alive(pid)).toBe(false);
    await expect(fetch(servers.provider.issuer)).rejects.toThrow();
  });
});

/**
 * The remote side of connect.bench.ts in a process of its own, as a real server is: the
 * Google-like provider and the fixture MCP server (sessions on). Prints one JSON line with what
 * the bench needs, then runs until its stdin closes.
 */
import { startGoogleLikeProvider } from '../test/fixtures/google-like-provider';
import { startMcpServer } from '../test/fixtures/mcp-server';

const provider = await startGoogleLikeProvider();
const mcp = await startMcpServer({ issuer: provider.issuer, sessions: true });
process.stdout.write(`${JSON.stringify({ issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, url: mcp.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void Promise.all([mcp.close(), provider.close()]).then(() => process.exit(0));
});

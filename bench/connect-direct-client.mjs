// The baseline for connect's start-up in connect.bench.ts: a process that does what an MCP client
// with a built-in Streamable HTTP transport does before its first request — load the SDK's Client
// and transport, and initialize — then says "ready" on stdout and exits. Plain JavaScript, run by
// node itself, so it starts as a program does (no TypeScript loader).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const client = new Client({ name: 'bench-direct-process', version: '1' });
const headers = { Authorization: `Bearer ${process.env.BENCH_ACCESS_TOKEN}` };
await client.connect(new StreamableHTTPClientTransport(new URL(process.env.BENCH_MCP_URL), { requestInit: { headers } }));
process.stdout.write('ready\n', () => process.exit(0));

/**
 * PROTOCOL.md's "`connect`'s JSON-RPC errors" is the code's, so the two cannot drift: its
 * `data.kind` rows are CONNECT_ERROR_KINDS, its `data.network` rows are the host's NetworkFailure
 * kinds, in order, and the errno codes a row names are the ones the host's wording gives that
 * kind (each one run through it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECT_ERROR_CODE, CONNECT_ERROR_KINDS, ConnectError, errorResponse } from '../../../native-host/connect/rpc-errors';
import { connectionFailure, DNS_FAILURE_CODES, NETWORK_FAILURES, UNREACHABLE_CODES } from '../../../native-host/http/network-error';

const protocol = readFileSync(join(__dirname, '../../../PROTOCOL.md'), 'utf8');
const start = protocol.indexOf("## `connect`'s JSON-RPC errors");
const section = protocol.slice(start, protocol.indexOf('\n## ', start + 1));
const [kindTable, networkTable] = section.split('| `data.network` |');

/** Each row of a table: its first cell's name, and the cells after it ("when" first). */
function rows(table: string): Array<[string, string]> {
  return [...table.matchAll(/^\| `([a-z-]+)` \|(.*)$/gm)].map((m) => [m[1]!, m[2]!]);
}
const codesIn = (row: string) => new Set(row.split('|')[0]!.match(/\bE[A-Z_]+\b/g) ?? []);
const network = Object.fromEntries(rows(networkTable!));

describe("PROTOCOL.md, `connect`'s JSON-RPC errors", () => {
  it('names the code the errors carry', () => {
    expect(start).toBeGreaterThan(0);
    expect(section).toContain(`"code": ${CONNECT_ERROR_CODE}`);
    const sent = errorResponse(7, new ConnectError('server-unreachable', 'x', undefined, 'refused'));
    expect(sent).toEqual({ jsonrpc: '2.0', id: 7, error: { code: CONNECT_ERROR_CODE, message: 'x', data: { kind: 'server-unreachable', network: 'refused' } } });
  });

  it('lists every data.kind the code has, in its order, and nothing else', () => {
    expect(rows(kindTable!).map(([name]) => name)).toEqual([...CONNECT_ERROR_KINDS]);
  });

  it('lists every data.network kind the code has, in its order, and nothing else', () => {
    expect(rows(networkTable!).map(([name]) => name)).toEqual([...NETWORK_FAILURES]);
  });

  it("names exactly the errno codes the host's wording gives dns, refused and unreachable", () => {
    expect(codesIn(network.dns!)).toEqual(new Set(DNS_FAILURE_CODES));
    expect(codesIn(network.unreachable!)).toEqual(new Set(UNREACHABLE_CODES));
    expect(codesIn(network.refused!)).toEqual(new Set(['ECONNREFUSED']));
    const url = new URL('https://mcp.example.test/mcp');
    for (const kind of ['dns', 'refused', 'unreachable'] as const) {
      for (const code of codesIn(network[kind]!)) {
        expect(connectionFailure(Object.assign(new Error(code), { code }), url, undefined)?.kind, code).toBe(kind);
      }
    }
  });
});

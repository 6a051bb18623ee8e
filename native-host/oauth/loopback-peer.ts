/**
 * Which user owns the other end of a loopback TCP connection, on Linux: the kernel lists every
 * socket of this network namespace in /proc/net/tcp with its owner's uid, readable by all users.
 * The loopback listener uses it so that only this user's programs (their browser) can open a
 * login's start link or deliver its callback: another user of the machine who read the link in
 * the process list cannot use it, however fast they are (launch-links.ts).
 *
 * Elsewhere (macOS, Windows) there is no such list without privileges: `undefined`, and the
 * start link's cookie and one-time use are the defence.
 */
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';

/** One end of a TCP connection over IPv4, as `socket.localAddress`/`localPort` give it. */
export interface Endpoint {
  address: string;
  port: number;
}

/**
 * The uid owning the client's end of the connection from `peer` to `us`; `null` when the table
 * has no such socket (whoever it is, it is not a connection we can vouch for); `undefined` when
 * there is no table to read (not Linux, no /proc).
 */
export async function loopbackPeerUid(us: Endpoint, peer: Endpoint, readTable: () => Promise<string> = readTcpTable): Promise<number | null | undefined> {
  let table: string;
  try {
    table = await readTable();
  } catch {
    return undefined;
  }
  return findPeerUid(table, us, peer) ?? null;
}

/**
 * Finds the client's row in a /proc/net/tcp text. Rows: `sl local rem st txq:rxq tr:when retrnsmt
 * uid …`, each address as hex `ADDR:PORT`, ADDR in the machine's byte order, PORT not. The full
 * address is compared, not only the port: another user could open a connection from 127.0.0.2 on
 * the port number of the user's browser's connection.
 */
export function findPeerUid(table: string, us: Endpoint, peer: Endpoint, order: 'BE' | 'LE' = endianness()): number | undefined {
  const local = hexEndpoint(peer, order);
  const remote = hexEndpoint(us, order);
  if (!local || !remote) return undefined;
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const [, localAddress, remoteAddress, , , , , uid] = fields as [string, string, string, string, string, string, string, string];
    // Any state: a client that half-closed its end is still the same socket, with the same owner.
    if (localAddress === local && remoteAddress === remote && /^\d+$/.test(uid)) return Number(uid);
  }
  return undefined;
}

/** `127.0.0.1:8080` as /proc/net/tcp writes it (`0100007F:1F90` on little-endian machines). */
function hexEndpoint(endpoint: Endpoint, order: 'BE' | 'LE'): string | undefined {
  const octets = endpoint.address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return undefined;
  if (order === 'LE') octets.reverse();
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  return `${octets.map((o) => hex(o, 2)).join('')}:${hex(endpoint.port, 4)}`;
}

function readTcpTable(): Promise<string> {
  if (process.platform !== 'linux') return Promise.reject(new Error('no /proc/net/tcp here'));
  return readFile('/proc/net/tcp', 'utf8');
}

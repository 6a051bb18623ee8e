import { describe, expect, it } from 'vitest';
import { findPeerUid, loopbackPeerUid } from '../../../native-host/oauth/loopback-peer';

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const row = (local: string, remote: string, state: string, uid: number) =>
  `   1: ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000  ${uid}        0 4242 1 0000000000000000 20 4 30 10 -1`;

// Our listener on 127.0.0.1:40000 (9C40); a browser's socket on 127.0.0.1:51000 (C738).
const US = { address: '127.0.0.1', port: 40000 };
const BROWSER = { address: '127.0.0.1', port: 51000 };
const TABLE = [
  HEADER,
  row('0100007F:9C40', '00000000:0000', '0A', 1000), // our listening socket
  row('0100007F:9C40', '0100007F:C738', '01', 1000), // our end of the connection
  row('0100007F:C738', '0100007F:9C40', '01', 1000), // the browser's end: this one
  row('0200007F:C738', '0100007F:9C40', '01', 1001), // another user's, from 127.0.0.2 on the same port number
].join('\n');

describe('findPeerUid (/proc/net/tcp)', () => {
  it("finds the owner of the client's end, by full address and port, on a little-endian machine", () => {
    expect(findPeerUid(TABLE, US, BROWSER, 'LE')).toBe(1000);
    expect(findPeerUid(TABLE, US, { address: '127.0.0.2', port: 51000 }, 'LE')).toBe(1001);
    expect(findPeerUid(TABLE, US, { address: '127.0.0.1', port: 51001 }, 'LE')).toBeUndefined();
  });

  it('reads addresses in the byte order of a big-endian machine', () => {
    const be = [HEADER, row('7F000001:C738', '7F000001:9C40', '01', 1002)].join('\n');
    expect(findPeerUid(be, US, BROWSER, 'BE')).toBe(1002);
    expect(findPeerUid(be, US, BROWSER, 'LE')).toBeUndefined();
  });

  it('a client that half-closed its end is still found with its owner', () => {
    const table = [HEADER, row('0100007F:C738', '0100007F:9C40', '05', 1001)].join('\n'); // FIN_WAIT2
    expect(findPeerUid(table, US, BROWSER, 'LE')).toBe(1001);
  });

  it('ignores malformed rows and refuses non-IPv4 endpoints', () => {
    expect(findPeerUid(`${HEADER}\ngarbage\n   2: 0100007F:C738 0100007F:9C40 01 x x x x notanumber`, US, BROWSER, 'LE')).toBeUndefined();
    expect(findPeerUid(TABLE, US, { address: '::1', port: 51000 }, 'LE')).toBeUndefined();
  });

  it('says "no such socket" (null) apart from "no table" (undefined)', async () => {
    expect(await loopbackPeerUid(US, { address: '127.0.0.1', port: 1 }, async () => TABLE)).toBeNull();
    expect(await loopbackPeerUid(US, BROWSER, async () => Promise.reject(new Error('ENOENT')))).toBeUndefined();
  });
});

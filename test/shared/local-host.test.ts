import { describe, expect, it } from 'vitest';
import { isLocalAddress, isLocalHost } from '../../shared/local-host';
import { isLoopbackHost, isLoopbackHttpUrl } from '../../shared/loopback';

/** As the host sees them: URL.hostname of what a server wrote. */
const hostname = (url: string) => new URL(url).hostname;

describe('isLocalHost', () => {
  it('catches every spelling of this machine a URL can carry', () => {
    for (const url of [
      'https://localhost/',
      'https://localhost./',
      'https://LocalHost../',
      'https://foo.localhost/',
      'https://a.b.localhost./',
      'https://127.0.0.1/',
      'https://127.9.8.7/',
      'https://127.1/',
      'https://0x7f.0.0.1/',
      'https://2130706433/',
      'https://0.0.0.0/',
      'https://0/',
      'https://[::]/',
      'https://[::1]/',
      'https://[0:0:0:0:0:0:0:1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:7f00:1]/',
      'https://[::ffff:0.0.0.0]/',
      'https://[::127.0.0.1]/',
      'https://169.254.169.254/',
      'https://[fe80::1]/',
      'https://[febf:ffff::1]/',
      'https://[::ffff:169.254.169.254]/',
    ]) {
      expect(isLocalHost(hostname(url)), url).toBe(true);
    }
  });
  it('leaves remote names, public and private addresses alone (intranet servers are legitimate)', () => {
    for (const url of [
      'https://idp.example/',
      'https://localhost.example.com/',
      'https://notlocalhost/',
      'https://10.1.2.3/',
      'https://172.16.0.1/',
      'https://192.168.1.10/',
      'https://8.8.8.8/',
      'https://128.0.0.1/',
      'https://169.253.1.1/',
      'https://[fc00::1]/',
      'https://[2001:db8::1]/',
      'https://[::ffff:10.0.0.1]/',
      'https://[fec0::1]/',
    ]) {
      expect(isLocalHost(hostname(url)), url).toBe(false);
    }
  });
  it('reads resolver output (bare IPv6, zone ids) the same way', () => {
    expect(isLocalAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isLocalAddress('::1')).toBe(true);
    expect(isLocalAddress('fe80::1%eth0')).toBe(true);
    expect(isLocalAddress('10.0.0.5')).toBe(false);
    expect(isLocalAddress('2606:4700::1111')).toBe(false);
    expect(isLocalAddress('not-an-address')).toBe(false);
  });
});

describe('isLoopbackHost stays strict (it decides where plain http is fine)', () => {
  it('does not widen to trailing dots, *.localhost or unspecified addresses', () => {
    for (const h of ['localhost.', 'foo.localhost', '0.0.0.0', '[::]', '169.254.169.254']) expect(isLoopbackHost(h), h).toBe(false);
    for (const h of ['localhost', '127.0.0.1', '[::1]', '127.0.0.2']) expect(isLoopbackHost(h), h).toBe(true);
    expect(isLoopbackHttpUrl('http://127.0.0.1:4000/callback')).toBe(true);
    expect(isLoopbackHttpUrl('http://foo.localhost:4000/callback')).toBe(false);
  });
});

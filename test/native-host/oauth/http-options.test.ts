import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { assertSecureEndpoints, assertSecureUrl, policyFor } from '../../../native-host/oauth/http-options';

describe('assertSecureUrl', () => {
  it('accepts https anywhere and http on loopback for a local server', () => {
    const local = policyFor('http://127.0.0.1:9000/mcp');
    expect(assertSecureUrl('https://as.example/x', 'x', local).host).toBe('as.example');
    expect(assertSecureUrl('http://localhost:9/x', 'x', local).port).toBe('9');
  });
  it('refuses plain http to a remote host', () => {
    expect(() => assertSecureUrl('http://as.example/x', 'the issuer')).toThrow(expect.objectContaining({ code: ErrorCode.InsecureEndpoint }));
  });
  it('refuses loopback URLs named by a remote server (no requests to local services on its say-so)', () => {
    const remote = policyFor('https://mcp.example.com/mcp');
    for (const url of ['http://127.0.0.1:8080/admin', 'https://localhost/x', 'http://[::1]:22/']) {
      expect(() => assertSecureUrl(url, 'resource_metadata', remote)).toThrow(expect.objectContaining({ code: ErrorCode.InsecureEndpoint }));
    }
  });
});

describe('local targets for a remote server', () => {
  const remote = policyFor('https://mcp.example.com/mcp');
  it('refuses every spelling of this machine and its link, not only the three loopback names', () => {
    for (const url of [
      'https://localhost.:8443/x',
      'https://foo.localhost/x',
      'https://0.0.0.0/x',
      'https://0/x',
      'https://[::]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://127.0.0.2/x',
      'https://169.254.169.254/latest/meta-data/',
      'https://[fe80::1]/x',
    ]) {
      expect(() => assertSecureUrl(url, 'token_endpoint', remote), url).toThrow(
        expect.objectContaining({ code: ErrorCode.InsecureEndpoint, message: expect.stringContaining('points at this machine') }),
      );
    }
  });
  it('accepts intranet (RFC 1918) and public hosts', () => {
    for (const url of ['https://10.0.0.5/x', 'https://192.168.1.2/x', 'https://172.20.0.1/x', 'https://idp.corp.example/x']) {
      expect(assertSecureUrl(url, 'token_endpoint', remote).href).toBe(url);
    }
  });
  it('treats a server on any local name as local, but keeps plain http for the strict loopback names only', () => {
    const local = policyFor('https://mcp.localhost:8443/mcp');
    expect(local.allowLoopback).toBe(true);
    expect(assertSecureUrl('https://localhost.:9/x', 'x', local).port).toBe('9');
    expect(() => assertSecureUrl('http://foo.localhost:9/x', 'x', local)).toThrow(expect.objectContaining({ code: ErrorCode.InsecureEndpoint }));
  });
});

describe('characters in URLs', () => {
  const remote = policyFor('https://mcp.example.com/mcp');
  const metadata = (authorization_endpoint: string) => ({
    issuer: 'https://as.example',
    authorization_endpoint,
    token_endpoint: 'https://as.example/token',
  });
  it('refuses metadata endpoints with characters outside RFC 3986 (shell pipes, %VAR%, carets)', () => {
    for (const bad of ['https://evil.example/a|calc.exe', 'https://evil.example/%USERPROFILE%/x', 'https://evil.example/a^b', 'https://evil.example/a?x={y}', 'https://evil.example/a?x=`id`']) {
      expect(() => assertSecureEndpoints(metadata(bad), remote), bad).toThrow(
        expect.objectContaining({ code: ErrorCode.InsecureEndpoint, message: expect.stringContaining('"authorization_endpoint" holds characters') }),
      );
    }
  });
  it('accepts ordinary endpoints, escapes included', () => {
    expect(() => assertSecureEndpoints(metadata('https://as.example/o/oauth2/v2/auth?x=%2F&y=a+b'), remote)).not.toThrow();
  });
});

describe('requestTimeoutMs', () => {
  it('takes a sane override from the environment and ignores anything else', async () => {
    const { requestTimeoutMs, REQUEST_TIMEOUT_MS } = await import('../../../native-host/oauth/http-options');
    expect(requestTimeoutMs({})).toBe(REQUEST_TIMEOUT_MS);
    expect(requestTimeoutMs({ MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: '60000' })).toBe(60_000);
    for (const bad of ['0', '-5', 'abc', '1e9', '1.5']) expect(requestTimeoutMs({ MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: bad })).toBe(REQUEST_TIMEOUT_MS);
  });
});

describe('an endpoint of a scheme without an origin', () => {
  it('names the scheme (file:, javascript:, data:), not the origin "null"', () => {
    for (const [url, scheme] of [
      ['file:///etc/passwd', 'file:'],
      ['javascript:alert(1)', 'javascript:'],
      ['data:text/plain,x', 'data:'],
    ] as const) {
      let message = '';
      try {
        assertSecureUrl(url, 'authorization server metadata "token_endpoint"');
      } catch (err) {
        expect(err).toMatchObject({ code: ErrorCode.InsecureEndpoint });
        message = (err as Error).message;
      }
      expect(message, url).toContain(`a ${scheme} URL`);
      expect(message, url).not.toContain('got null');
    }
  });
});

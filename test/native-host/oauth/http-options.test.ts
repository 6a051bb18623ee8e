import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { assertSecureUrl, policyFor } from '../../../native-host/oauth/http-options';

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

describe('requestTimeoutMs', () => {
  it('takes a sane override from the environment and ignores anything else', async () => {
    const { requestTimeoutMs, REQUEST_TIMEOUT_MS } = await import('../../../native-host/oauth/http-options');
    expect(requestTimeoutMs({})).toBe(REQUEST_TIMEOUT_MS);
    expect(requestTimeoutMs({ MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: '60000' })).toBe(60_000);
    for (const bad of ['0', '-5', 'abc', '1e9', '1.5']) expect(requestTimeoutMs({ MCP_LOGIN_BRIDGE_HTTP_TIMEOUT_MS: bad })).toBe(REQUEST_TIMEOUT_MS);
  });
});

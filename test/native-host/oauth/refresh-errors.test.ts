/**
 * How refresh.ts classifies a token endpoint's refusal: which answers mean "log in again" and
 * which keep the login for a retry, and what of the provider's text reaches the message. A scripted
 * loopback authorization server answers each refresh with the status and body a test sets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { refreshCredential } from '../../../native-host/oauth/refresh';
import type { StoredCredential } from '../../../native-host/stores/credential';
import { testCredential } from '../../helpers/credentials';

let server: Server;
let issuer: string;
let answer: { status: number; body: Record<string, unknown> } = { status: 400, body: { error: 'invalid_grant' } };

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/.well-known/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer, token_endpoint: `${issuer}/token`, authorization_endpoint: `${issuer}/authorize`, response_types_supported: ['code'] }));
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const credential = (): StoredCredential =>
  testCredential({ serverUrl: 'http://127.0.0.1:9/mcp', issuer, accessToken: 'A0', tokenType: 'bearer', refreshToken: 'R0-secret', expiresAt: 0, scope: 'mcp', updatedAt: 0 });

async function refusal(status: number, body: Record<string, unknown>): Promise<ProtocolError> {
  answer = { status, body };
  const error = await refreshCredential(credential()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProtocolError);
  return error as ProtocolError;
}

describe('refresh refusals', () => {
  it('invalid_grant on a 400 means log in again', async () => {
    expect((await refusal(400, { error: 'invalid_grant' })).code).toBe(ErrorCode.LoginNeeded);
  });

  it('invalid_grant in a 5xx body is an outage: the login is kept for a retry', async () => {
    const error = await refusal(503, { error: 'invalid_grant' });
    expect(error.code).toBe(ErrorCode.RefreshFailed);
  });

  it('invalid_client and unauthorized_client on a 400 or 401 mean log in again (a deleted client never comes back)', async () => {
    for (const [status, code] of [[401, 'invalid_client'], [400, 'invalid_client'], [400, 'unauthorized_client']] as const) {
      const error = await refusal(status, { error: code });
      expect(error.code, `${status} ${code}`).toBe(ErrorCode.LoginNeeded);
      expect(error.message).toContain('mcp-login-bridge login');
    }
    expect((await refusal(500, { error: 'invalid_client' })).code).toBe(ErrorCode.RefreshFailed);
  });

  it('the provider\'s error text is cut to a bound, on one line, without control characters', async () => {
    const error = await refusal(400, { error: `server_error\u001b[31m\r\nspoofed line${'x'.repeat(5000)}` });
    expect(error.code).toBe(ErrorCode.RefreshFailed);
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(error.message).not.toContain('R0-secret');
  });

  it('the provider\'s code and description are both shown, with the refresh token it echoed masked', async () => {
    const error = await refusal(400, { error: 'invalid_request', error_description: 'cannot refresh R0-secret now' });
    expect(error.code).toBe(ErrorCode.RefreshFailed);
    expect(error.message).toContain('invalid_request: cannot refresh [redacted] now (HTTP 400)');
    expect(error.message).not.toContain('R0-secret');
  });
});

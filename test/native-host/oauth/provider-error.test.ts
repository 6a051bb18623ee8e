/**
 * The one rendering of a provider's error answer (provider-error.ts), and that each OAuth step
 * whose answer a provider writes goes through it: registration keeps the provider's code, from a
 * JSON body and from a WWW-Authenticate challenge, against a scripted loopback authorization server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { EMPTY_CONFIG } from '../../../native-host/config';
import { obtainClient } from '../../../native-host/oauth/client-registration';
import {
  MAX_ERROR_CODE_LENGTH,
  MAX_ERROR_DESCRIPTION_LENGTH,
  oauthFailureText,
  providerErrorOf,
  renderProviderError,
} from '../../../native-host/oauth/provider-error';

const UNSAFE = /[^\x20-\x7E]/;

describe('renderProviderError', () => {
  it('keeps the code, then the description, then the HTTP status', () => {
    expect(renderProviderError({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.', status: 400 })).toBe(
      'invalid_grant: Token has been expired or revoked. (HTTP 400)',
    );
    expect(renderProviderError({ error: 'access_denied' })).toBe('access_denied');
    expect(renderProviderError({ error: 'invalid_client', status: 401 })).toBe('invalid_client (HTTP 401)');
  });

  it('makes both parts one line of printable ASCII: controls, C1, bidi and other non-ASCII become spaces', () => {
    const text = renderProviderError({
      error: 'server_error\u001b[31m\r\nspoofed',
      error_description: 'line one\nline two \u009b2J \u202eevil\u0007 caf\u00e9',
      status: 500,
    });
    expect(text).not.toMatch(UNSAFE);
    expect(text).toBe('server_error [31m spoofed: line one line two 2J evil caf (HTTP 500)');
  });

  it('bounds the code and the description, marking the cut', () => {
    const text = renderProviderError({ error: 'e'.repeat(5000), error_description: 'd'.repeat(5000), status: 400 });
    const [code, rest] = text.split(': ');
    expect(code).toHaveLength(MAX_ERROR_CODE_LENGTH);
    expect(code!.endsWith('...')).toBe(true);
    expect(rest).toBe(`${'d'.repeat(MAX_ERROR_DESCRIPTION_LENGTH - 3)}... (HTTP 400)`);
  });

  it('masks a secret the request carried when the provider echoes it, raw or form-encoded, before cutting', () => {
    const secret = 'R0/secret+token=';
    const text = renderProviderError(
      { error: 'invalid_grant', error_description: `refresh token ${secret} is revoked; sent as ${encodeURIComponent(secret)}`, status: 400 },
      [secret, undefined, ''],
    );
    expect(text).toBe('invalid_grant: refresh token [redacted] is revoked; sent as [redacted] (HTTP 400)');
    // A secret at the cut is masked whole, not cut in half and left showing its start.
    const long = renderProviderError({ error: 'x', error_description: `${'a'.repeat(290)}${secret}` }, [secret]);
    expect(long).not.toContain('R0/');
  });

  it('an empty code is named as missing rather than rendered as nothing', () => {
    expect(renderProviderError({ error: '\u0000\u0001' })).toBe('(no error code)');
  });
});

describe('providerErrorOf and oauthFailureText: oauth4webapi errors in, one text out', () => {
  it('reads a ResponseBodyError (RFC 6749 §5.2 body) with its status', async () => {
    const response = new Response(JSON.stringify({ error: 'invalid_grant', error_description: 'expired' }), {
      status: 400,
      headers: { 'content-type': 'application/json' },
    });
    const err = await oauth
      .processRefreshTokenResponse({ issuer: 'https://as.example', token_endpoint: 'https://as.example/t' }, { client_id: 'c' }, response)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(oauth.ResponseBodyError);
    expect(providerErrorOf(err)).toEqual({ error: 'invalid_grant', error_description: 'expired', status: 400 });
    expect(oauthFailureText(err)).toBe('invalid_grant: expired (HTTP 400)');
  });

  it('reads an AuthorizationResponseError (RFC 6749 §4.1.2.1), which has no status', () => {
    const as = { issuer: 'https://as.example', authorization_response_iss_parameter_supported: false };
    const params = new URLSearchParams({ error: 'access_denied', error_description: 'user said no', state: 's' });
    let err: unknown;
    try {
      oauth.validateAuthResponse(as, { client_id: 'c' }, params, 's');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(oauth.AuthorizationResponseError);
    expect(oauthFailureText(err)).toBe('access_denied: user said no');
  });

  it('reads the error of a WWW-Authenticate challenge (RFC 6750 §3), preferring the bearer one', async () => {
    const response = new Response(null, {
      status: 401,
      headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce", Bearer error="invalid_token", error_description="initial access token required"' },
    });
    const err = await oauth.processDynamicClientRegistrationResponse(response).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    expect(oauthFailureText(err)).toBe('invalid_token: initial access token required (HTTP 401)');
  });

  it('passes any other failure through as its own message', () => {
    expect(providerErrorOf(new Error('connect ECONNREFUSED'))).toBeUndefined();
    expect(oauthFailureText(new Error('connect ECONNREFUSED'))).toBe('connect ECONNREFUSED');
  });
});

describe('registration keeps the provider\'s error code', () => {
  let server: Server;
  let issuer = '';
  let answer: { status: number; headers: Record<string, string>; body: string } = { status: 400, headers: {}, body: '' };

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function registrationFailure(): Promise<ProtocolError> {
    const as = { issuer, registration_endpoint: `${issuer}/register`, token_endpoint: `${issuer}/token` };
    const err = await obtainClient(as, 'http://127.0.0.1:9/mcp', 'http://127.0.0.1:9999/callback', [], EMPTY_CONFIG).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(ErrorCode.RegistrationFailed);
    return err as ProtocolError;
  }

  it('from an RFC 7591 §3.2.2 error body, with its description', async () => {
    answer = {
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: 'invalid_software_statement', error_description: 'a software statement is required\u001b[2J' }),
    };
    const err = await registrationFailure();
    expect(err.message).toBe(`dynamic client registration at ${issuer} failed: invalid_software_statement: a software statement is required [2J (HTTP 400)`);
  });

  it('from a WWW-Authenticate challenge (a server that wants an initial access token)', async () => {
    answer = { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="no initial access token"' }, body: '' };
    const err = await registrationFailure();
    expect(err.message).toBe(`dynamic client registration at ${issuer} failed: invalid_token: no initial access token (HTTP 401)`);
  });
});

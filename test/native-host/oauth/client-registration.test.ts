/**
 * Which client a login uses, against the real fixtures: the MCP authorization spec's order
 * (configured client → Client ID Metadata Document → dynamic registration → an error naming what
 * to configure), registrations kept with the login and bound to their issuer, the RFC 9207 table
 * and the PKCE rule. Every peer is real and on loopback: oidc-provider as the authorization server,
 * the SDK's MCP server, and an https server (self-signed CA made here with openssl) publishing the
 * client metadata document, which oidc-provider fetches itself.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { parseRule } from '../../../shared/providers';
import { EMPTY_CONFIG, parseConfig, type HostConfig } from '../../../native-host/config';
import { clientIdUrlProblem } from '../../../shared/client-id-url';
import { LoginService } from '../../../native-host/oauth/login-service';
import { LoopbackListener } from '../../../native-host/oauth/loopback-listener';
import type { CredentialTarget, StoredCredential } from '../../../native-host/stores/credential';
import { startGoogleLikeProvider, type GoogleLikeProvider, type ProviderOptions } from '../../fixtures/google-like-provider';
import { startMcpServer, type McpServerFixture } from '../../fixtures/mcp-server';
import { followToCallback } from '../../helpers/redirect-follower';

class MemoryTarget implements CredentialTarget {
  readonly name = 'bridge' as const;
  readonly entries = new Map<string, StoredCredential>();
  describe() {
    return 'memory';
  }
  async read(serverUrl: string) {
    return this.entries.get(serverUrl);
  }
  async write(c: StoredCredential) {
    this.entries.set(c.serverUrl, structuredClone(c));
  }
  async delete(serverUrl: string) {
    return this.entries.delete(serverUrl);
  }
  async list() {
    return [...this.entries.values()];
  }
}

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
});

async function world(options: ProviderOptions): Promise<{ provider: GoogleLikeProvider; mcp: McpServerFixture }> {
  const provider = await startGoogleLikeProvider(options);
  cleanup.push(() => provider.close());
  const mcp = await startMcpServer({ issuer: provider.issuer });
  cleanup.push(() => mcp.close());
  return { provider, mcp };
}

function offlineRule(issuer: string) {
  return parseRule({ id: 'fixture', origins: [issuer], params: { access_type: 'offline', prompt: 'consent' } }, 'config');
}

/** A LoginService on one store, with a loopback listener per login (so each login has another port). */
function service(config: HostConfig, store = new MemoryTarget()) {
  let listener = new LoopbackListener();
  cleanup.push(() => listener.close());
  const login = new LoginService({ loadConfig: async () => config, store, redirectUri: () => listener.redirectUri() });
  return {
    store,
    login,
    /** Every login of a CLI is a new process with a new random port: so here. */
    async newPort() {
      await listener.close();
      listener = new LoopbackListener();
      cleanup.push(() => listener.close());
    },
  };
}

async function logIn(login: LoginService, serverUrl: string) {
  const begun = await login.begin(serverUrl);
  const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
  return { begun, result: await login.complete(callback.href) };
}

describe('dynamic registration, kept and bound to its issuer', () => {
  it('registers once (port-less, application_type native, with refresh_token) and reuses the client for the next logins on other ports', async () => {
    const { provider, mcp } = await world({ registration: true });
    const s = service({ ...EMPTY_CONFIG, rules: [offlineRule(provider.issuer)] });
    const ports = new Set<string>();
    for (let i = 0; i < 3; i++) {
      await s.newPort();
      const { begun, result } = await logIn(s.login, mcp.url);
      ports.add(new URL(begun.redirectUri).port);
      expect(result.refreshCapable).toBe(true);
    }
    expect(ports.size).toBe(3);
    expect(provider.stats.registrationRequests).toBe(1);
    expect(provider.stats.registeredClients).toEqual([{ clientId: expect.any(String), redirectUris: ['http://127.0.0.1/callback'] }]);
    const stored = s.store.entries.get(mcp.url)!;
    expect(stored.clientId).toBe(provider.stats.registeredClients[0]!.clientId);
    expect(stored.registration).toMatchObject({ issuer: provider.issuer, redirectUris: ['http://127.0.0.1/callback'] });
    // Every authorization used the one registered client.
    expect(new Set(provider.stats.authorizeRequests.map((u) => u.searchParams.get('client_id')))).toEqual(new Set([stored.clientId]));
  });

  it('falls back to the exact redirect URI when the server refuses a port-less one, and then registers per port', async () => {
    const { provider, mcp } = await world({ registration: true, refusePortlessRegistration: true });
    const s = service({ ...EMPTY_CONFIG, rules: [offlineRule(provider.issuer)] });
    const first = await logIn(s.login, mcp.url);
    expect(first.result.refreshCapable).toBe(true);
    expect(provider.stats.registrationRequests).toBe(2);
    expect(provider.stats.registeredClients).toEqual([{ clientId: expect.any(String), redirectUris: [first.begun.redirectUri] }]);
    // Same port: the registration covers it and is reused.
    await logIn(s.login, mcp.url);
    expect(provider.stats.registeredClients).toHaveLength(1);
    // Another port: not covered, so a new registration.
    await s.newPort();
    await logIn(s.login, mcp.url);
    expect(provider.stats.registeredClients).toHaveLength(2);
  });

  it('registers again with the new issuer when the server moves to another authorization server, never presenting the old client there', async () => {
    const a = await startGoogleLikeProvider({ registration: true });
    const b = await startGoogleLikeProvider({ registration: true });
    cleanup.push(() => a.close(), () => b.close());
    const first = await startMcpServer({ issuer: a.issuer });
    const port = Number(new URL(first.url).port);
    const s = service({ ...EMPTY_CONFIG, rules: [offlineRule(a.issuer), offlineRule(b.issuer)] });
    await logIn(s.login, first.url);
    const clientAtA = s.store.entries.get(first.url)!.clientId;
    await first.close();
    // The same server URL now names B in its protected resource metadata.
    const moved = await startMcpServer({ issuer: b.issuer, port });
    cleanup.push(() => moved.close());
    expect(moved.url).toBe(first.url);
    await logIn(s.login, moved.url);
    expect(a.stats.registrationRequests).toBe(1);
    expect(b.stats.registrationRequests).toBe(1);
    const stored = s.store.entries.get(moved.url)!;
    expect(stored.issuer).toBe(b.issuer);
    expect(stored.registration?.issuer).toBe(b.issuer);
    expect(stored.clientId).not.toBe(clientAtA);
    expect(b.stats.authorizeRequests.map((u) => u.searchParams.get('client_id'))).not.toContain(clientAtA);
  });

  it('forgets a registration the server no longer knows (invalid_client) and registers again at the next login', async () => {
    const { provider, mcp } = await world({ registration: true });
    const s = service({ ...EMPTY_CONFIG, rules: [offlineRule(provider.issuer)] });
    await logIn(s.login, mcp.url);
    // The server lost the client: as far as the host can tell, a stored id it never issued.
    const entry = s.store.entries.get(mcp.url)!;
    s.store.entries.set(mcp.url, { ...entry, clientId: 'deleted-client' });
    const begun = await s.login.begin(mcp.url);
    expect(new URL(begun.authorizeUrl).searchParams.get('client_id')).toBe('deleted-client');
    // What a browser would do once the provider accepted the login: bring a code for another client.
    const { callback } = await followToCallback(
      begun.authorizeUrl.replace('client_id=deleted-client', `client_id=${encodeURIComponent(entry.clientId)}`),
      begun.redirectUri,
    );
    await expect(s.login.complete(callback.href)).rejects.toMatchObject({ code: ErrorCode.TokenExchangeFailed, message: expect.stringContaining('invalid_client') });
    expect(s.store.entries.get(mcp.url)!.registration).toBeUndefined();
    await logIn(s.login, mcp.url);
    expect(provider.stats.registrationRequests).toBe(2);
  });
});

describe('a configured client is bound to its authorization server', () => {
  it('is not sent to another issuer the server names now: 207 before the browser opens', async () => {
    const { provider, mcp } = await world({ registration: true });
    const config = parseConfig(
      { clients: [{ serverUrl: mcp.url, issuer: 'https://old-as.example', clientId: 'old-client', clientSecret: 'old-secret' }] },
      'config.json',
    );
    const refusal = service(config).login.begin(mcp.url);
    await expect(refusal).rejects.toMatchObject({ code: ErrorCode.ConfiguredClientIssuerChanged, message: expect.stringContaining(provider.issuer) });
    expect(await refusal.catch((e: Error) => e.message)).not.toContain('old-secret');
    expect(provider.stats.authorizeRequests).toHaveLength(0);
    expect(provider.stats.registrationRequests).toBe(0);
  });
});

describe('Client ID Metadata Documents', () => {
  let documentServer: HttpsServer;
  let documentUrl = '';
  let ca = '';
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cimd-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    const [key, cert] = await Promise.all([readFile(join(dir, 'key.pem'), 'utf8'), readFile(join(dir, 'cert.pem'), 'utf8')]);
    ca = cert;
    // The document the project ships, published under this server's URL as an organisation would.
    const template = JSON.parse(await readFile('client-metadata/mcp-login-bridge.json', 'utf8')) as Record<string, unknown>;
    documentServer = createHttpsServer({ key, cert }, (req, res) => {
      if (req.url !== '/oauth/mcp-login-bridge.json') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...template, client_id: documentUrl }));
    });
    await new Promise<void>((r) => documentServer.listen(0, '127.0.0.1', r));
    documentUrl = `https://127.0.0.1:${(documentServer.address() as AddressInfo).port}/oauth/mcp-login-bridge.json`;
    cleanup.push(() => new Promise((r) => documentServer.close(r)));
  });

  it('logs in at a server without a registration endpoint with the document URL as client_id; the server fetched the document', async () => {
    const { provider, mcp } = await world({ clientIdMetadataDocuments: { trustedCa: ca } });
    const config = parseConfig({ clientIdMetadataDocuments: [{ url: documentUrl }], rules: [{ id: 'fixture', origins: [provider.issuer], params: { access_type: 'offline', prompt: 'consent' } }] }, 'config.json');
    const s = service(config);
    const { begun, result } = await logIn(s.login, mcp.url);
    expect(new URL(begun.authorizeUrl).searchParams.get('client_id')).toBe(documentUrl);
    expect(result.refreshCapable).toBe(true);
    expect(provider.stats.metadataDocumentFetches).toContain(documentUrl);
    expect(provider.stats.registrationRequests).toBe(0);
    const stored = s.store.entries.get(mcp.url)!;
    expect(stored).toMatchObject({ clientId: documentUrl, tokenEndpointAuthMethod: 'none' });
    expect(stored.clientSecret).toBeUndefined();
    expect(stored.registration).toBeUndefined();
  });

  it('prefers the document over registration, and a per-issuer document over the global one', async () => {
    const { provider, mcp } = await world({ clientIdMetadataDocuments: { trustedCa: ca }, registration: true });
    const config = parseConfig(
      { clientIdMetadataDocuments: [{ url: 'https://elsewhere.example/never-used.json' }, { issuer: provider.issuer, url: documentUrl }] },
      'config.json',
    );
    const { begun } = await logIn(service(config).login, mcp.url);
    expect(new URL(begun.authorizeUrl).searchParams.get('client_id')).toBe(documentUrl);
    expect(provider.stats.registrationRequests).toBe(0);
  });

  it('without a configured document, a server that supports them but cannot register says what to configure', async () => {
    const { mcp, provider } = await world({ clientIdMetadataDocuments: { trustedCa: ca } });
    const refusal = service(EMPTY_CONFIG).login.begin(mcp.url);
    await expect(refusal).rejects.toMatchObject({ code: ErrorCode.NoClient, message: expect.stringContaining('clientIdMetadataDocuments') });
    await expect(refusal).rejects.toMatchObject({ message: expect.stringContaining('"clients"') });
    expect(provider.stats.authorizeRequests).toHaveLength(0);
  });

  it('the config refuses document URLs the spec rules out', () => {
    for (const bad of [
      'http://example.com/client.json',
      'https://example.com',
      'https://example.com/',
      'https://example.com/a/../client.json',
      'https://example.com/client.json#x',
      'https://user:pw@example.com/client.json',
      'https://EXAMPLE.com/client.json',
    ]) {
      expect(clientIdUrlProblem(bad), bad).toBeDefined();
      expect(() => parseConfig({ clientIdMetadataDocuments: [{ url: bad }] }, 'c.json'), bad).toThrow(/clientIdMetadataDocuments/);
    }
    expect(clientIdUrlProblem('https://example.com/oauth/client.json')).toBeUndefined();
  });

  it('the shipped document follows the rules: its client_id is an acceptable document URL, it is public and native with a port-less loopback redirect', async () => {
    const shipped = JSON.parse(await readFile('client-metadata/mcp-login-bridge.json', 'utf8')) as Record<string, unknown>;
    expect(clientIdUrlProblem(shipped.client_id as string)).toBeUndefined();
    expect(shipped).toMatchObject({ client_name: expect.any(String), application_type: 'native', token_endpoint_auth_method: 'none' });
    expect(shipped.redirect_uris).toEqual(['http://127.0.0.1/callback']);
    expect(shipped.grant_types).toContain('refresh_token');
    expect(shipped).not.toHaveProperty('client_secret');
  });
});

describe('the authorization response and PKCE rules', () => {
  it('iss missing while the server advertises it: 303, nothing redeemed, nothing stored, the response error not shown', async () => {
    const { provider, mcp } = await world({ registration: true, omitIssInResponse: true });
    const s = service({ ...EMPTY_CONFIG, rules: [offlineRule(provider.issuer)] });
    const begun = await s.login.begin(mcp.url);
    const { callback } = await followToCallback(begun.authorizeUrl, begun.redirectUri);
    expect(callback.searchParams.has('iss')).toBe(false);
    expect(callback.searchParams.get('code')).toBeTruthy();
    const tokenRequestsBefore = provider.stats.tokenRequests;
    await expect(s.login.complete(callback.href)).rejects.toMatchObject({ code: ErrorCode.IssuerResponseMismatch });
    expect(provider.stats.tokenRequests).toBe(tokenRequestsBefore);
    expect(s.store.entries.size).toBe(0);

    // An error response without iss: still a mismatch, and its text is not acted on or shown.
    const second = await s.login.begin(mcp.url);
    const forged = new URL(second.redirectUri);
    forged.search = new URLSearchParams({ state: second.state, error: 'access_denied', error_description: 'call +1-555-SCAM' }).toString();
    const refusal = s.login.complete(forged.href);
    await expect(refusal).rejects.toMatchObject({ code: ErrorCode.IssuerResponseMismatch });
    expect(await refusal.catch((e: Error) => e.message)).not.toContain('SCAM');
  });

  it('a mismatched iss on an error response: 303, the error text not shown', async () => {
    const { provider, mcp } = await world({ registration: true });
    const s = service({ ...EMPTY_CONFIG, rules: [offlineRule(provider.issuer)] });
    const begun = await s.login.begin(mcp.url);
    const forged = new URL(begun.redirectUri);
    forged.search = new URLSearchParams({ state: begun.state, iss: 'https://attacker.example', error: 'access_denied', error_description: 'call +1-555-SCAM' }).toString();
    const refusal = s.login.complete(forged.href);
    await expect(refusal).rejects.toMatchObject({ code: ErrorCode.IssuerResponseMismatch });
    expect(await refusal.catch((e: Error) => e.message)).not.toContain('SCAM');
  });

  it('refuses a server without code_challenge_methods_supported before the browser opens, naming the server and the field', async () => {
    const { provider, mcp } = await world({ registration: true, omitMetadata: ['code_challenge_methods_supported'] });
    const s = service({ ...EMPTY_CONFIG, rules: [offlineRule(provider.issuer)] });
    const refusal = s.login.begin(mcp.url);
    await expect(refusal).rejects.toMatchObject({ code: ErrorCode.PkceUnsupported });
    const message = await refusal.catch((e: Error) => e.message);
    expect(message).toContain(provider.issuer);
    expect(message).toContain('code_challenge_methods_supported');
    expect(provider.stats.authorizeRequests).toHaveLength(0);
    expect(provider.stats.registrationRequests).toBe(0);
    expect(s.login.pendingCount()).toBe(0);
  });

  it('keeps working with the Google-like fixture, whose metadata lists S256 as Google’s does', async () => {
    const { provider, mcp } = await world({});
    const response = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
    expect(((await response.json()) as { code_challenge_methods_supported?: string[] }).code_challenge_methods_supported).toContain('S256');
    const config: HostConfig = {
      ...EMPTY_CONFIG,
      rules: [offlineRule(provider.issuer)],
      clients: [{ issuer: provider.issuer, servers: [mcp.url], clientId: provider.clientId, clientSecret: provider.clientSecret }],
    };
    const { result } = await logIn(service(config).login, mcp.url);
    expect(result.refreshCapable).toBe(true);
  });
});

/**
 * A company CA: an authorization server whose certificate is signed by a private CA (made here with
 * the openssl binary) is trusted by the host only when NODE_EXTRA_CA_CERTS names that CA, also
 * through an HTTPS_PROXY tunnel; without it the error says it is a TLS failure and what to set.
 * Each case runs the host's discovery in a fresh process, since Node reads the variable at start.
 * `connect`'s fetch to an MCP server opens its connections with the same code, so it trusts the
 * same CAs and words the same failure.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/errors';
import { startForwardProxy, type ForwardProxy } from '../../fixtures/forward-proxy';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../fixtures/discover-issuer.ts', import.meta.url));

let dir: string;
let server: Server;
let issuer: string;
let proxy: ForwardProxy;

/** A CA, and a certificate for 127.0.0.1 signed by it. */
async function makeCertificates(): Promise<{ ca: string; key: string; cert: string }> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const path = (name: string) => join(dir, name);
  await run('openssl', ['req', '-x509', ...ec, '-keyout', path('ca.key'), '-out', path('ca.pem'), '-days', '2', '-subj', '/CN=mcp-login-bridge test company CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', ...ec, '-keyout', path('server.key'), '-out', path('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(path('server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  await run('openssl', ['x509', '-req', '-in', path('server.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial',
    '-out', path('server.pem'), '-days', '2', '-extfile', path('server.ext')]);
  return { ca: path('ca.pem'), key: await readFile(path('server.key'), 'utf8'), cert: await readFile(path('server.pem'), 'utf8') };
}

let caFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlb-private-ca-'));
  const { ca, key, cert } = await makeCertificates();
  caFile = ca;
  server = createServer({ key, cert }, (req, res) => {
    if (req.url !== '/.well-known/oauth-authorization-server') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, code_challenge_methods_supported: ['S256'] }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy = await startForwardProxy();
});
afterAll(async () => {
  await proxy?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** Discovery in a fresh process with exactly these variables on top of a clean environment. */
function discover(vars: Record<string, string>): Promise<{ ok: boolean; code?: number; message?: string; tokenEndpoint?: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...vars };
  for (const name of ['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) {
    if (!(name in vars)) delete env[name];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, issuer], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', () => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`no answer from the discovery process: ${err}`));
      }
    });
  });
}

describe('an authorization server behind a company CA', () => {
  it('is refused without NODE_EXTRA_CA_CERTS, with an error naming TLS and the variable', async () => {
    const result = await discover({});
    expect(result.ok).toBe(false);
    expect(result.code).toBe(ErrorCode.DiscoveryFailed);
    expect(result.message).toContain(`TLS: the certificate of 127.0.0.1:${new URL(issuer).port} is not signed by a CA this machine trusts`);
    expect(result.message).toContain('NODE_EXTRA_CA_CERTS');
  });

  it('is trusted with NODE_EXTRA_CA_CERTS naming the CA', async () => {
    expect(await discover({ NODE_EXTRA_CA_CERTS: caFile })).toEqual({ ok: true, issuer, tokenEndpoint: `${issuer}/token` });
  });

  it('is trusted through an HTTPS_PROXY tunnel too, TLS being end to end', async () => {
    proxy.requests = [];
    const viaProxy = await discover({ NODE_EXTRA_CA_CERTS: caFile, HTTPS_PROXY: proxy.url });
    expect(viaProxy, viaProxy.message).toMatchObject({ ok: true, issuer });
    // RFC 8414 and OpenID Connect discovery go out together: one tunnel each, both to the issuer.
    expect(proxy.requests).toEqual([
      { method: 'CONNECT', target: new URL(issuer).host },
      { method: 'CONNECT', target: new URL(issuer).host },
    ]);
    proxy.requests = [];
    const untrusted = await discover({ HTTPS_PROXY: proxy.url });
    expect(untrusted.message).toContain(`through the proxy ${proxy.url} (HTTPS_PROXY)`);
    expect(untrusted.message).toContain('NODE_EXTRA_CA_CERTS');
    expect(proxy.requests.length).toBeGreaterThan(0);
  });
});

const HTTP_FETCH = fileURLToPath(new URL('../../../native-host/connect/http-fetch.ts', import.meta.url));

/** `connect`'s fetch of one URL in a fresh process (as `discover`): the status, or the error's kind and message. */
function connectFetch(url: string, vars: Record<string, string>): Promise<{ status?: number; kind?: string; message?: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...vars };
  for (const name of ['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) {
    if (!(name in vars)) delete env[name];
  }
  const code = `import(${JSON.stringify(HTTP_FETCH)}).then(({ httpFetch }) => httpFetch({ timeoutMs: 10000 })(${JSON.stringify(url)}, { method: 'GET' })).then(
    (r) => console.log(JSON.stringify({ status: r.status })),
    (e) => console.log(JSON.stringify({ kind: e.kind, message: e.message })));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', () => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`no answer from the fetch process: ${err}`));
      }
    });
  });
}

describe("connect's fetch to a server behind a company CA", () => {
  it('trusts it with NODE_EXTRA_CA_CERTS, directly and through HTTPS_PROXY; without it, the host\'s TLS sentence naming the proxy', async () => {
    const url = `${issuer}/.well-known/oauth-authorization-server`;
    expect(await connectFetch(url, { NODE_EXTRA_CA_CERTS: caFile })).toEqual({ status: 200 });
    proxy.requests = [];
    expect(await connectFetch(url, { NODE_EXTRA_CA_CERTS: caFile, HTTPS_PROXY: proxy.url })).toEqual({ status: 200 });
    expect(proxy.requests).toEqual([{ method: 'CONNECT', target: new URL(issuer).host }]);
    const untrusted = await connectFetch(url, { HTTPS_PROXY: proxy.url });
    expect(untrusted.kind).toBe('tls');
    expect(untrusted.message).toContain(`TLS: the certificate of ${new URL(issuer).host} (through the proxy ${proxy.url} (HTTPS_PROXY)) is not signed by a CA this machine trusts`);
    expect(untrusted.message).toContain('NODE_EXTRA_CA_CERTS');
  });
});

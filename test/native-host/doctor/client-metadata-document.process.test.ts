/**
 * `doctor` reads each configured Client ID Metadata Document as an authorization server would:
 * the real CLI process fetches it over https from a fixture server whose self-signed CA it trusts
 * through NODE_EXTRA_CA_CERTS (as a machine with a private CA would), and says what is wrong.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentProblems } from '../../../native-host/oauth/client-metadata-document';
import { CLI_BIN, assertHostBuilt } from '../../helpers/native-client';

let dir = '';
let server: Server;
let origin = '';
const documents = new Map<string, unknown>();

beforeAll(async () => {
  assertHostBuilt();
  dir = await mkdtemp(join(tmpdir(), 'mlb-cimd-doctor-'));
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ]);
  const [key, cert] = await Promise.all([readFile(join(dir, 'key.pem'), 'utf8'), readFile(join(dir, 'cert.pem'), 'utf8')]);
  server = createServer({ key, cert }, (req, res) => {
    const doc = documents.get(req.url ?? '');
    if (doc === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

function doctor(config: unknown): Promise<{ checks: { id: string; status: string; message: string }[] }> {
  return new Promise((resolve, reject) => {
    const configPath = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    void writeFile(configPath, JSON.stringify(config)).then(() => {
      const child = spawn(process.execPath, [CLI_BIN, 'doctor', '--json'], {
        env: { ...process.env, MCP_LOGIN_BRIDGE_CONFIG: configPath, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'), MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(dir, 'runtime') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('error', reject);
      child.on('close', () => {
        try {
          resolve(JSON.parse(stdout));
        } catch (err) {
          reject(err);
        }
      });
    });
  });
}

describe('doctor checks the configured client metadata documents', () => {
  it('accepts the shipped template published at its URL, and names what is wrong with the others', async () => {
    const template = JSON.parse(await readFile('client-metadata/mcp-login-bridge.json', 'utf8')) as Record<string, unknown>;
    const good = `${origin}/good.json`;
    const wrongId = `${origin}/wrong-id.json`;
    const missing = `${origin}/missing.json`;
    documents.set('/good.json', { ...template, client_id: good });
    documents.set('/wrong-id.json', { ...template });
    const { checks } = await doctor({ clientIdMetadataDocuments: [{ url: good }, { issuer: 'https://as.example', url: wrongId }, { url: missing }] });
    const byId = new Map(checks.map((c) => [c.id, c]));
    expect(byId.get(`client-metadata:${good}`)).toMatchObject({ status: 'ok' });
    expect(byId.get(`client-metadata:${wrongId}`)).toMatchObject({ status: 'error', message: expect.stringContaining(`"client_id" must be exactly ${wrongId}`) });
    expect(byId.get(`client-metadata:${missing}`)).toMatchObject({ status: 'error', message: expect.stringContaining('HTTP 404') });
  });
});

describe('documentProblems', () => {
  const url = 'https://it.example/oauth/client.json';
  const ok = { client_id: url, client_name: 'X', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none' };

  it('finds nothing wrong with a public native document for this host', () => {
    expect(documentProblems(url, ok)).toEqual([]);
  });

  it('names each broken rule', () => {
    expect(documentProblems(url, [])).toEqual(['it is not a JSON object']);
    expect(documentProblems(url, { ...ok, client_id: `${url}?x` })[0]).toContain('"client_id" must be exactly');
    expect(documentProblems(url, { ...ok, client_name: undefined })[0]).toContain('client_name');
    expect(documentProblems(url, { ...ok, redirect_uris: ['https://app.example/callback'] })[0]).toContain('http://127.0.0.1/callback');
    expect(documentProblems(url, { ...ok, redirect_uris: ['http://127.0.0.1:3000/callback'] })[0]).toContain('names a port');
    expect(documentProblems(url, { ...ok, client_secret: 's' })[0]).toContain('secret');
    expect(documentProblems(url, { ...ok, token_endpoint_auth_method: 'client_secret_basic' })[0]).toContain('"none"');
  });
});

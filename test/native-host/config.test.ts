import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configPath, findConfiguredClient, loadConfig, parseConfig } from '../../native-host/config';

describe('configPath', () => {
  it('follows each platform\'s convention and the override', () => {
    expect(configPath({ HOME: '/h' }, 'linux')).toBe('/h/.config/mcp-login-bridge/config.json');
    expect(configPath({ HOME: '/h', XDG_CONFIG_HOME: '/x' }, 'linux')).toBe('/x/mcp-login-bridge/config.json');
    expect(configPath({ HOME: '/h' }, 'darwin')).toBe('/h/Library/Application Support/mcp-login-bridge/config.json');
    expect(configPath({ MCP_LOGIN_BRIDGE_CONFIG: '/c.json', HOME: '/h' }, 'linux')).toBe('/c.json');
  });
});

describe('parseConfig', () => {
  it('reads rules, clients and allowed ids', () => {
    const config = parseConfig(
      {
        rules: [{ id: 'fixture', origins: ['http://127.0.0.1:9000'], params: { access_type: 'offline' } }],
        clients: [{ issuer: 'https://accounts.google.com', clientId: 'id', clientSecret: 'secret' }],
        allowedExtensionIds: ['abc'],
      },
      '/c.json',
    );
    expect(config.rules[0]).toMatchObject({ id: 'fixture', source: 'config' });
    expect(config.clients[0]).toEqual({ issuer: 'https://accounts.google.com', clientId: 'id', clientSecret: 'secret' });
    expect(config.allowedExtensionIds).toEqual(['abc']);
  });
  it.each([
    [[], /JSON object/],
    [{ rules: {} }, /"rules" must be an array/],
    [{ rules: [{ id: 'x', origins: ['ftp://a'], params: { a: 'b' } }] }, /"rules"\[0\]/],
    [{ clients: [{ clientId: 'x' }] }, /needs "issuer" or "serverUrl"/],
    [{ clients: [{ issuer: 'http://evil.test', clientId: 'x' }] }, /https/],
    [{ clients: [{ issuer: 'https://a.test', clientId: 'x', clientSecret: 5 }] }, /clientSecret/],
  ])('rejects %j, naming the file and field', (doc, message) => {
    expect(() => parseConfig(doc, '/c.json')).toThrow(message);
    expect(() => parseConfig(doc, '/c.json')).toThrow(/\/c\.json/);
  });
  it('never echoes a client secret in an error', () => {
    const parse = () => parseConfig({ clients: [{ issuer: 'https://a.test', clientId: '', clientSecret: 'TOPSECRET' }] }, '/c.json');
    expect(parse).toThrow(/clientId/);
    expect(parse).not.toThrow(/TOPSECRET/);
  });
});

describe('loadConfig', () => {
  it('treats a missing file as empty and a broken one as an error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlb-config-'));
    await expect(loadConfig(join(dir, 'none.json'))).resolves.toMatchObject({ rules: [], clients: [] });
    await writeFile(join(dir, 'bad.json'), '{ nope');
    await expect(loadConfig(join(dir, 'bad.json'))).rejects.toThrow(/not valid JSON/);
  });
  it('does not quote the broken file back (it may hold a client secret)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlb-config-'));
    await writeFile(join(dir, 'comma.json'), '{"clients":[{"issuer":"https://a.test","clientId":"x","clientSecret":"TOPSECRETVALUE"},]}');
    const err = await loadConfig(join(dir, 'comma.json')).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/not valid JSON/);
    expect((err as Error).message).not.toMatch(/TOPSECRET|VALUE/);
  });
});

describe('findConfiguredClient', () => {
  const clientId = (m: ReturnType<typeof findConfiguredClient>) => (m.kind === 'client' ? m.client.clientId : m.kind);

  it('prefers a server match over an issuer match', () => {
    const config = parseConfig(
      {
        clients: [
          { issuer: 'https://as.test', servers: ['https://mcp.test', 'https://other.test/mcp'], clientId: 'by-issuer' },
          { serverUrl: 'https://mcp.test/mcp', clientId: 'by-server' },
        ],
      },
      'c',
    );
    expect(clientId(findConfiguredClient(config, 'https://mcp.test/mcp', 'https://as.test'))).toBe('by-server');
    expect(clientId(findConfiguredClient(config, 'https://other.test/mcp', 'https://as.test'))).toBe('by-issuer');
    expect(clientId(findConfiguredClient(config, 'https://other.test/mcp', 'https://else.test'))).toBe('none');
  });

  it("uses an issuer's client only for the servers it lists: an exact URL, or every server on an origin", () => {
    const config = parseConfig(
      {
        clients: [
          { issuer: 'https://accounts.google.com', servers: ['https://gmail-mcp.example', 'https://tools.example/drive/mcp'], clientId: 'mine', clientSecret: 's' },
          { issuer: 'https://unlisted.example', clientId: 'nobody' },
        ],
      },
      'c',
    );
    const google = 'https://accounts.google.com';
    expect(clientId(findConfiguredClient(config, 'https://gmail-mcp.example/mcp', google))).toBe('mine');
    expect(clientId(findConfiguredClient(config, 'https://GMAIL-MCP.example/other', google))).toBe('mine');
    expect(clientId(findConfiguredClient(config, 'https://tools.example/drive/mcp', google))).toBe('mine');
    // A server that merely names Google: not the user's client.
    expect(clientId(findConfiguredClient(config, 'https://tools.example/weather/mcp', google))).toBe('not-enabled');
    expect(clientId(findConfiguredClient(config, 'https://gmail-mcp.example.evil.test/mcp', google))).toBe('not-enabled');
    expect(clientId(findConfiguredClient(config, 'http://gmail-mcp.example/mcp', google))).toBe('not-enabled');
    // Listing no servers enables none.
    expect(clientId(findConfiguredClient(config, 'https://any.example/mcp', 'https://unlisted.example'))).toBe('not-enabled');
  });

  it('refuses servers that are not https URLs or origins, and servers without an issuer', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ issuer: 'https://as.test', servers: ['http://mcp.test'], clientId: 'x' }, /https/],
      [{ issuer: 'https://as.test', servers: ['https://mcp.test/mcp?x=1'], clientId: 'x' }, /servers\[0\].*without query/],
      [{ issuer: 'https://as.test', servers: 'https://mcp.test', clientId: 'x' }, /servers/],
      [{ serverUrl: 'https://mcp.test/mcp', servers: ['https://mcp.test'], clientId: 'x' }, /"servers" goes with "issuer"/],
    ];
    for (const [client, message] of bad) expect(() => parseConfig({ clients: [client] }, 'c')).toThrow(message);
  });
});

describe('allowExtensionId', () => {
  it('adds an id once and keeps the rest of the file, private', async () => {
    const { allowExtensionId } = await import('../../native-host/config');
    const { readFile, stat } = await import('node:fs/promises');
    const dir = await mkdtemp(join(tmpdir(), 'mlb-config-'));
    const path = join(dir, 'config.json');
    await writeFile(path, JSON.stringify({ clients: [{ issuer: 'https://a.test', clientId: 'x', clientSecret: 's' }] }));
    expect(await allowExtensionId('a'.repeat(32), path)).toBe(true);
    expect(await allowExtensionId('a'.repeat(32), path)).toBe(false);
    const doc = JSON.parse(await readFile(path, 'utf8'));
    expect(doc.allowedExtensionIds).toEqual(['a'.repeat(32)]);
    expect(doc.clients[0].clientSecret).toBe('s');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});

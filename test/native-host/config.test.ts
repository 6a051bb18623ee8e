import { chmod, lstat, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { allowExtensionId, configPath, findConfiguredClient, loadConfig, parseConfig } from '../../native-host/config';

/** Lets a test serve its own text for one path's reads (everything else reads the disk). */
const reads = vi.hoisted(() => ({ path: '', serve: undefined as undefined | ((count: number) => string), count: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = (async (path: unknown, ...rest: unknown[]) => {
    if (reads.serve && String(path) === reads.path) return reads.serve(++reads.count);
    return (real.readFile as (...a: unknown[]) => Promise<unknown>)(path, ...rest);
  }) as typeof real.readFile;
  return { ...real, default: { ...real, readFile }, readFile };
});

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

  it('never writes through a symlink or a leftover at a predictable temp name, and ends 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlb-config-'));
    const path = join(dir, 'config.json');
    const secretDoc = JSON.stringify({ clients: [{ issuer: 'https://a.test', clientId: 'x', clientSecret: 'TOPSECRET' }] });
    // A planted link where a `${path}.${pid}.tmp` writer would write the secrets.
    await writeFile(path, secretDoc);
    const victim = join(dir, 'victim');
    await writeFile(victim, 'untouched');
    await symlink(victim, `${path}.${process.pid}.tmp`);
    expect(await allowExtensionId('b'.repeat(32), path)).toBe(true);
    expect(await readFile(victim, 'utf8')).toBe('untouched');
    const info = await lstat(path);
    expect(info.isFile()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);

    // A world-readable leftover at that name would have kept its mode.
    const other = join(dir, 'other.json');
    await writeFile(other, secretDoc);
    await writeFile(`${other}.${process.pid}.tmp`, '', { mode: 0o644 });
    await chmod(`${other}.${process.pid}.tmp`, 0o644);
    await chmod(other, 0o644);
    expect(await allowExtensionId('b'.repeat(32), other)).toBe(true);
    expect((await stat(other)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(other, 'utf8')).clients[0].clientSecret).toBe('TOPSECRET');
  });

  it('names only the position of a JSON error, never the text (it may be a client secret)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlb-config-'));
    const path = join(dir, 'config.json');
    await writeFile(path, '{"clients":[{"issuer":"https://a.test","clientId":"x","clientSecret":"TOPSECRETVALUE"},]}');
    const err = await allowExtensionId('c'.repeat(32), path).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/config\.json: is not valid JSON/);
    expect((err as Error).message).not.toMatch(/TOPSECRET/);
  });

  it('reads the file once, so an edit between two reads cannot surface V8\'s quoting JSON error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlb-config-'));
    const path = join(dir, 'config.json');
    const good = JSON.stringify({ clients: [{ issuer: 'https://a.test', clientId: 'x', clientSecret: 'TOPSECRETVALUE' }] });
    const broken = good.replace(/}]}$/, '},]}');
    Object.assign(reads, { path, count: 0, serve: (n: number) => (n === 1 ? good : broken) });
    try {
      const outcome = await allowExtensionId('d'.repeat(32), path).then(
        (added) => `added ${added}`,
        (e: Error) => e.message,
      );
      expect(outcome).not.toMatch(/VALUE/); // V8 quotes the end of the secret here
      expect(outcome).toBe('added true');
      expect(reads.count).toBe(1);
    } finally {
      reads.serve = undefined;
    }
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ allowedExtensionIds: ['d'.repeat(32)] });
  });
});

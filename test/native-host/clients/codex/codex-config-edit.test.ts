/** --write-config: client settings go into Codex's config.toml with comments and order kept. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { addCodexOauthSettings, parseTableHeader, writeCodexOauthSettings } from '../../../../native-host/clients/codex/codex-config-edit';
import { codexClientAdvice, describeCodexAdvice } from '../../../../native-host/clients/codex/codex-client-advice';
import { parseCodexConfig } from '../../../../native-host/clients/codex/codex-config';
import { ProtocolError } from '../../../../shared/errors';

const CONFIG = `# my codex config
model = "o3"

[mcp_servers.gmail]  # Google
url = "https://gmailmcp.googleapis.com/mcp/v1"
# scopes below
scopes = ["openid"]

# next one
[mcp_servers.linear]
url = "https://mcp.linear.app/mcp"
`;

describe('adding Codex oauth settings', () => {
  it('inserts a new oauth table at the end of the server section, everything else byte-for-byte', () => {
    const edited = addCodexOauthSettings(CONFIG, 'gmail', { clientId: 'cid', clientSecret: 'GOCSPX-s' });
    expect(edited).toBe(CONFIG.replace('scopes = ["openid"]\n', 'scopes = ["openid"]\n\n[mcp_servers.gmail.oauth]\nclient_id = "cid"\nclient_secret = "GOCSPX-s"\n'));
    expect((parse(edited) as any).mcp_servers.gmail.oauth).toEqual({ client_id: 'cid', client_secret: 'GOCSPX-s' });
  });

  it('adds only the missing key to an existing oauth table, and nothing when both are there', () => {
    const withTable = `${CONFIG}\n[mcp_servers."gmail".oauth] # keep\nclient_id = "cid"\n`;
    const edited = addCodexOauthSettings(withTable, 'gmail', { clientId: 'cid', clientSecret: 'sec "q"' });
    expect(edited).toBe(`${CONFIG}\n[mcp_servers."gmail".oauth] # keep\nclient_secret = "sec \\"q\\""\nclient_id = "cid"\n`);
    expect((parse(edited) as any).mcp_servers.gmail.oauth.client_secret).toBe('sec "q"');
    expect(addCodexOauthSettings(edited, 'gmail', { clientId: 'cid', clientSecret: 'x' })).toBe(edited);
  });

  it('adds the table at the end of the file for the last server, and keeps CRLF', () => {
    const crlf = CONFIG.replace(/\n/g, '\r\n');
    const edited = addCodexOauthSettings(crlf, 'linear', { clientId: 'l' });
    expect(edited).toBe(`${crlf}\r\n[mcp_servers.linear.oauth]\r\nclient_id = "l"\r\n`);
    expect((parse(edited) as any).mcp_servers.linear.oauth).toEqual({ client_id: 'l' });
  });

  it('refuses inline oauth tables and unknown servers instead of guessing', () => {
    expect(() => addCodexOauthSettings('[mcp_servers.g]\nurl = "u"\noauth = { client_id = "x" }\n', 'g', { clientSecret: 's' })).toThrow(/inline/);
    expect(() => addCodexOauthSettings(CONFIG, 'nope', { clientId: 'x' })).toThrow(/no \[mcp_servers.nope\]/);
  });

  it('names only the file and position of a TOML error, never the lines around it (they may hold a secret)', () => {
    const broken = '[mcp_servers.gmail]\nurl = "u"\n\n[mcp_servers.gmail.oauth]\nclient_secret = "GOCSPX-leak"\nclient_id = \n';
    let error: unknown;
    try {
      addCodexOauthSettings(broken, 'gmail', { clientId: 'cid' }, '/h/.codex/config.toml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Cannot add the client settings to \/h\/\.codex\/config\.toml: it is not valid TOML at line 6, column \d+/);
    expect(message).not.toContain('GOCSPX');
  });

  it('reads and edits a config holding a 64-bit integer beyond 2^53, as Codex does, and keeps it exact', () => {
    const big = `${CONFIG}
[tuning]
seed = 9223372036854775807
`;
    expect(parseCodexConfig(big, '/home/u/.codex').servers.map((s) => s.name)).toEqual(['gmail', 'linear']);
    const edited = addCodexOauthSettings(big, 'gmail', { clientId: 'cid' });
    expect(edited).toContain('seed = 9223372036854775807\n');
    expect(edited).toContain('[mcp_servers.gmail.oauth]\nclient_id = "cid"\n');
  });

  it('parses table headers with quoted keys and comments', () => {
    expect(parseTableHeader('[ mcp_servers . "my server" ]  # x')).toEqual(['mcp_servers', 'my server']);
    expect(parseTableHeader("[mcp_servers.'a.b'.oauth]")).toEqual(['mcp_servers', 'a.b', 'oauth']);
    expect(parseTableHeader('[[array]]')).toBeUndefined();
    expect(parseTableHeader('x = "[not]"')).toBeUndefined();
  });
});

describe('writing Codex oauth settings while someone else writes config.toml', () => {
  const ADDED = '\n[mcp_servers.added]\nurl = "https://added.example/mcp"\n';

  it('redoes the edit from the changed file, so the other change is kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlb-codex-edit-'));
    try {
      const path = join(dir, 'config.toml');
      await writeFile(path, CONFIG);
      let calls = 0;
      // `codex mcp add` writing between our read and our rename.
      const beforeReplace = async () => {
        calls += 1;
        if (calls === 1) await writeFile(path, CONFIG + ADDED);
      };
      expect(await writeCodexOauthSettings(path, 'gmail', { clientId: 'cid', clientSecret: 's' }, { beforeReplace })).toBe(true);
      expect(calls).toBe(2);
      const doc = parse(await readFile(path, 'utf8')) as any;
      expect(doc.mcp_servers.added).toEqual({ url: 'https://added.example/mcp' });
      expect(doc.mcp_servers.gmail.oauth).toEqual({ client_id: 'cid', client_secret: 's' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes nothing when the file changes again during the second try', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlb-codex-edit-'));
    try {
      const path = join(dir, 'config.toml');
      await writeFile(path, CONFIG);
      let calls = 0;
      const beforeReplace = async () => {
        calls += 1;
        await writeFile(path, `${CONFIG}${ADDED}# change ${calls}\n`);
      };
      await expect(writeCodexOauthSettings(path, 'gmail', { clientId: 'cid', clientSecret: 'GOCSPX-s' }, { beforeReplace })).rejects.toThrow(
        /config\.toml: it kept changing .*nothing was written/,
      );
      expect(await readFile(path, 'utf8')).toBe(`${CONFIG}${ADDED}# change 2\n`);
      expect(await readdir(dir)).toEqual(['config.toml']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Codex client advice', () => {
  const confidential = { clientId: 'cid', clientSecret: 'GOCSPX-secret', tokenEndpointAuthMethod: 'client_secret_post' as const };
  it('asks for the lines Codex needs to refresh with a confidential client, never showing the secret', () => {
    const advice = codexClientAdvice({ name: 'gmail', url: 'u', enabled: true }, confidential);
    expect(advice).toEqual({ kind: 'missing-secret', clientId: 'cid', missing: ['client_id', 'client_secret'] });
    const text = describeCodexAdvice(advice, 'gmail', '/h/.codex/config.toml', '/h/.config/mcp-login-bridge/config.json')!;
    expect(text).toContain('[mcp_servers.gmail.oauth]');
    expect(text).toContain('client_id = "cid"');
    expect(text).toContain('client_secret = "<the client secret, as in /h/.config/mcp-login-bridge/config.json>"');
    expect(text).not.toContain('GOCSPX');
  });

  it('is satisfied by a public client or complete settings, and flags another client id', () => {
    expect(codexClientAdvice({ name: 'g', url: 'u', enabled: true }, { clientId: 'dcr', tokenEndpointAuthMethod: 'none' })).toEqual({ kind: 'ok' });
    expect(codexClientAdvice({ name: 'g', url: 'u', enabled: true, oauth: { clientId: 'cid', clientSecret: 's' } }, confidential)).toEqual({ kind: 'ok' });
    expect(codexClientAdvice({ name: 'g', url: 'u', enabled: true, oauth: { clientId: 'other' } }, confidential)).toMatchObject({ kind: 'client-id-mismatch' });
  });
});

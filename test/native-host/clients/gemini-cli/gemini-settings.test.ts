import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverGeminiServers, expandEnvVars, stripJsonComments } from '../../../../native-host/clients/gemini-cli/gemini-settings';

let home: string;
let project: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'mlb-gemini-settings-'));
  project = join(home, 'work', 'project');
  await mkdir(join(home, '.gemini'), { recursive: true });
  await mkdir(join(project, '.gemini'), { recursive: true });
  env = { GEMINI_CLI_HOME: home, MCP_HOST: '127.0.0.1:7000' };
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const userFile = () => join(home, '.gemini', 'settings.json');
const projectFile = () => join(project, '.gemini', 'settings.json');

describe('discoverGeminiServers', () => {
  it('finds httpUrl and url servers in user and project settings, with comments and variables as Gemini reads them', async () => {
    await writeFile(
      userFile(),
      `{
  // Gemini's settings allow comments
  "mcpServers": {
    "docs": { "httpUrl": "http://$MCP_HOST/mcp", "oauth": { "enabled": true, "clientId": "abc", "scopes": ["a"] } },
    /* a stdio server has no OAuth */
    "local": { "command": "node", "args": ["server.js"] },
    "sse": { "url": "http://127.0.0.1:7001/sse" },
    "shared": { "httpUrl": "http://127.0.0.1:7002/user" },
    "adc": { "httpUrl": "http://127.0.0.1:7003/mcp", "authProviderType": "google_credentials" }
  }
}`,
    );
    await writeFile(projectFile(), JSON.stringify({ mcpServers: { shared: { url: 'http://127.0.0.1:7002/project', type: 'http' } } }));
    const found = await discoverGeminiServers({ env, projectDir: project });
    expect(found.problems).toEqual([]);
    expect(found.servers.map((s) => [s.name, s.url])).toEqual([
      ['docs', 'http://127.0.0.1:7000/mcp'],
      ['sse', 'http://127.0.0.1:7001/sse'],
      // The project's entry replaces the user's of the same name (shallow merge).
      ['shared', 'http://127.0.0.1:7002/project'],
    ]);
    expect(found.servers[0]!.config.oauth).toEqual({ enabled: true, clientId: 'abc', scopes: ['a'] });
    expect(found.servers[2]!.source).toBe(`${projectFile()} (project)`);
  });

  it('reports a malformed file on its own, never rewrites it, and still reads the other file', async () => {
    const broken = '{ "mcpServers": { "docs": { "httpUrl": "http://127.0.0.1:1/mcp", } } }';
    await writeFile(userFile(), broken);
    await writeFile(projectFile(), JSON.stringify({ mcpServers: { proj: { httpUrl: 'http://127.0.0.1:2/mcp' } } }));
    const found = await discoverGeminiServers({ env, projectDir: project });
    expect(found.servers.map((s) => s.name)).toEqual(['proj']);
    expect(found.problems).toHaveLength(1);
    expect(found.problems[0]).toContain(userFile());
    expect(found.problems[0]).toContain('not valid JSON');
    expect(await readFile(userFile(), 'utf8')).toBe(broken);
  });

  it('reports one bad server entry without hiding the others, naming the field and never the value', async () => {
    await writeFile(
      userFile(),
      JSON.stringify({ mcpServers: { bad: { httpUrl: 42 }, worse: 'x', secretive: { httpUrl: 'http://127.0.0.1:3/mcp', oauth: { clientSecret: ['s3cr3t'] } }, good: { httpUrl: 'http://127.0.0.1:4/mcp' } } }),
    );
    const found = await discoverGeminiServers({ env, projectDir: project });
    expect(found.servers.map((s) => s.name)).toEqual(['good']);
    expect(found.problems).toEqual([
      `Gemini CLI settings ${userFile()}: mcpServers.bad.httpUrl must be a string, got number`,
      `Gemini CLI settings ${userFile()}: mcpServers.worse must be an object, got string`,
      `Gemini CLI settings ${userFile()}: mcpServers.secretive.oauth.clientSecret must be a string, got array`,
    ]);
    expect(found.problems.join('\n')).not.toContain('s3cr3t');
  });

  it('reports mcpServers of the wrong type, and a settings file that is not an object', async () => {
    await writeFile(userFile(), JSON.stringify({ mcpServers: [] }));
    await writeFile(projectFile(), '[]');
    const found = await discoverGeminiServers({ env, projectDir: project });
    expect(found.servers).toEqual([]);
    expect(found.problems).toEqual([
      `Gemini CLI settings ${userFile()}: mcpServers must be an object, got array`,
      `Gemini CLI settings ${projectFile()}: must hold a JSON object, got array`,
    ]);
  });

  it('does not read the home directory as a project (it is the user file then), and finds nothing without files', async () => {
    await writeFile(userFile(), JSON.stringify({ mcpServers: { docs: { httpUrl: 'http://127.0.0.1:5/mcp' } } }));
    const fromHome = await discoverGeminiServers({ env, projectDir: home });
    expect(fromHome.servers.map((s) => s.source)).toEqual([`${userFile()} (user)`]);
    await rm(userFile());
    expect(await discoverGeminiServers({ env, projectDir: project })).toEqual({ servers: [], problems: [] });
  });
});

describe('Gemini settings text', () => {
  it('strips comments but not comment-like text inside strings', () => {
    const text = '{"a": "http://x//y", /* c */ "b": "/* kept */" // end\n}';
    expect(JSON.parse(stripJsonComments(text))).toEqual({ a: 'http://x//y', b: '/* kept */' });
    expect(JSON.parse(stripJsonComments('{"q": "say \\"//\\" here"}'))).toEqual({ q: 'say "//" here' });
  });

  it('expands $VAR, ${VAR} and ${VAR:-default}, leaving unknown variables as written', () => {
    const vars = { HOST: 'h', EMPTY: '' };
    expect(expandEnvVars('$HOST/${HOST}/${MISSING:-d}/$MISSING/${EMPTY:-d}', vars)).toBe('h/h/d/$MISSING/');
  });
});

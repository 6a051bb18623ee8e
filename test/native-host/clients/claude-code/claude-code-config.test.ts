/** Claude Code discovery: one bad entry in .claude.json is reported without hiding the good ones. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverClaudeServers } from '../../../../native-host/clients/claude-code/claude-code-config';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mlb-claude-config-'));
  await mkdir(join(root, 'project'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const discover = () => discoverClaudeServers({ env: { HOME: root }, projectDir: join(root, 'project') });

describe('Claude Code discovery', () => {
  it('keeps the projects after a bad one, and the good servers next to a bad one, reporting each bad entry', async () => {
    await writeFile(join(root, '.claude.json'), JSON.stringify({
      mcpServers: { broken: { type: 'http', url: ['x'] }, user: { type: 'http', url: 'https://user.example/mcp' } },
      projects: {
        '/work/a': { mcpServers: { a: { type: 'http', url: 'https://a.example/mcp' } } },
        '/work/bad': { mcpServers: { bad: { type: 'http', url: 123 }, fine: { url: 'https://fine.example/mcp' } } },
        '/work/odd': { mcpServers: 'not an object' },
        '/work/c': { mcpServers: { c: { type: 'sse', url: 'https://c.example/sse' } } },
      },
    }));
    await writeFile(join(root, 'project', '.mcp.json'), JSON.stringify({ mcpServers: { team: { url: 'https://team.example/mcp', headers: { 'X-A': 1 } }, ok: { url: 'https://ok.example/mcp' } } }));
    const { servers, problems } = await discover();
    expect(servers.map((s) => [s.name, s.source.replace(root, '~')])).toEqual([
      ['user', '~/.claude.json (user)'],
      ['a', '~/.claude.json (local, /work/a)'],
      ['fine', '~/.claude.json (local, /work/bad)'],
      ['c', '~/.claude.json (local, /work/c)'],
      ['ok', `~/project/.mcp.json (project)`],
    ]);
    expect(problems.every((p) => p.target === 'claude-code' && p.kind === 'config-unreadable')).toBe(true);
    expect(problems.map((p) => p.message)).toEqual([
      `Claude Code config ${join(root, '.claude.json')}: mcpServers.broken.url must be a string, got array`,
      `Claude Code config ${join(root, '.claude.json')}: projects["/work/bad"].mcpServers.bad.url must be a string, got number`,
      `Claude Code config ${join(root, '.claude.json')}: projects["/work/odd"].mcpServers must be an object, got string`,
      `Claude Code config ${join(root, 'project', '.mcp.json')}: mcpServers.team.headers must be an object of strings`,
    ]);
  });

  it('still reports a file that is not JSON as one problem', async () => {
    await writeFile(join(root, '.claude.json'), '{"mcpServers": {"x": {"url": "https://x.example/mcp",}}}');
    const { servers, problems } = await discover();
    expect(servers).toEqual([]);
    expect(problems).toEqual([{ target: 'claude-code', kind: 'config-unreadable', message: `Claude Code config ${join(root, '.claude.json')}: not valid JSON` }]);
  });
});

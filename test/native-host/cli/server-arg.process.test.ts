/**
 * The server argument of `login` and `token` as a hostile caller would give it, to the real CLI
 * process: a 100 KB URL is refused as a usage error before any request and without being echoed,
 * and a URL full of terminal escapes reaches the terminal only as text.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, assertHostBuilt } from '../../helpers/native-client';

let server: Server;
let origin = '';
let requests = 0;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertHostBuilt();
  // Answers every request 404, counting them: the CLI must not have sent any for a refused argument.
  server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'mlb-arg-'));
  env = { ...process.env, MCP_LOGIN_BRIDGE_CONFIG: join(dir, 'config.json'), MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(dir, 'runtime'), PATH: dir };
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the server URL argument', () => {
  for (const command of ['login', 'token']) {
    it(`${command}: a 100 KB URL is a usage error (exit 2) before any request, and is not echoed`, async () => {
      const huge = `${origin}/${'a'.repeat(100_000)}`;
      const before = requests;
      const args = command === 'login' ? ['login', huge, '--no-extension', '--timeout', '5'] : ['token', huge];
      const result = await run(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('at most 8192');
      expect(result.stderr.length).toBeLessThan(1000);
      expect(result.stdout).toBe('');
      expect(requests).toBe(before);
    });

    it(`${command}: a URL of exactly 8192 characters is still taken`, async () => {
      const path = '/mcp';
      const atLimit = `${origin}${path}${'b'.repeat(8192 - origin.length - path.length)}`;
      expect(atLimit).toHaveLength(8192);
      const result = await run(command === 'login' ? ['login', atLimit, '--no-extension', '--timeout', '5'] : ['token', atLimit]);
      expect(result.stderr).not.toContain('at most 8192');
      expect(result.code).not.toBe(2);
    });
  }

  for (const command of ['login', 'token']) {
    it(`${command}: a usage error quoting a hostile argument prints it as text`, async () => {
      const result = await run([command, 'not-a-url \x1b]0;pwned\x07 \u009b2J \u202e']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('not-a-url');
      expect(result.stderr).not.toMatch(/[\x1b\x07\u009b\u202e]/);
    });
  }

  it('login: escapes in the URL (clear screen, OSC window title, BEL, C1 CSI) are printed as text, not as controls', async () => {
    const hostile = `${origin}/mcp\x1b[2J\x1b]0;pwned\x07\u009b31m`;
    const result = await run(['login', hostile, '--no-extension', '--timeout', '5']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Looking up how');
    expect(result.stderr).toContain('[2J');
    expect(result.stderr).not.toMatch(/[\x1b\x07\u009b]/);
    expect(result.stdout).not.toMatch(/[\x1b\x07\u009b]/);

    // With --json the error is JSON on stdout: the same text, escaped, and still the same value.
    const json = await run(['login', hostile, '--no-extension', '--timeout', '5', '--json']);
    expect(json.code).toBe(1);
    expect(json.stdout).not.toMatch(/[\x1b\x07\u009b]/);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: expect.any(Number) } });
  });
});

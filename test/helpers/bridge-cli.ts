/**
 * Runs the real `mcp-login-bridge` CLI as a user would, for process tests: `login <url>
 * --no-browser --json` with the test playing the browser (it follows the printed address to the
 * loopback callback and pastes the callback URL on stdin), and `token <url> --json`.
 */
import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { run } from './codex-cli';
import { CLI_BIN } from './native-client';
import { followToCallback } from './redirect-follower';

export interface BridgeLoginResult {
  code: number | null;
  /** The `--json` answer (`stored`: every client copy written, `notices`, …). */
  result: Record<string, unknown>;
  stderr: string;
}

/** `mcp-login-bridge login <url> --no-browser --json`, the test playing the browser and pasting the callback. */
export async function bridgeLogin(env: NodeJS.ProcessEnv, cwd: string, url: string, extra: string[] = []): Promise<BridgeLoginResult> {
  const child = spawn(process.execPath, [CLI_BIN, 'login', url, '--no-browser', '--json', ...extra], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  const authorizeUrl = new Promise<string>((resolve) =>
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /Open this address to log in:\n\s+(\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    }),
  );
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  const address = await Promise.race([authorizeUrl, done.then(() => Promise.reject(new Error(`login exited early: ${stderr}`)))]);
  const { callback } = await followToCallback(address, new URL(address).searchParams.get('redirect_uri')!);
  child.stdin.write(`${callback.href}\n`);
  const code = await done;
  return { code, result: JSON.parse(stdout || '{}'), stderr };
}

/** `mcp-login-bridge token <url> --json`; fails the test unless it exits 0. */
export async function bridgeToken(env: NodeJS.ProcessEnv, cwd: string, url: string): Promise<{ accessToken: string; refreshed: boolean; stderr: string }> {
  const { code, stdout, stderr } = await run(process.execPath, [CLI_BIN, 'token', url, '--json'], env, 30_000, cwd);
  expect(code, stderr).toBe(0);
  return { ...(JSON.parse(stdout) as { accessToken: string; refreshed: boolean }), stderr };
}

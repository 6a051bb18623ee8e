/**
 * Drives the real Claude Code CLI (npm @anthropic-ai/claude-code, pinned in package.json) for
 * interop tests. `claude mcp list` needs no Anthropic account: it health-checks every configured
 * server by connecting to it, which loads, refreshes and rewrites the stored MCP login exactly as
 * a session would. Non-essential traffic (telemetry, update checks) is switched off.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './codex-cli';

export const CLAUDE_BIN = join(process.cwd(), 'node_modules', '.bin', 'claude');

export function assertClaudeInstalled(): void {
  if (!existsSync(CLAUDE_BIN)) {
    throw new Error(`The Claude Code CLI is not installed at ${CLAUDE_BIN}: run npm ci (it is a devDependency, @anthropic-ai/claude-code).`);
  }
}

/** The variables that make Claude Code private to `dir`, for an environment other clients share. */
export function claudeVars(dir: string): Record<string, string> {
  return { HOME: dir, CLAUDE_CONFIG_DIR: dir, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1' };
}

/** Environment for a private Claude Code: config, credentials and caches all under `dir`. */
export function claudeEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, ...claudeVars(dir) };
}

/** `claude mcp list`: one line per server, e.g. `mock: http://…/mcp (HTTP) - ✔ Connected`. */
export async function claudeMcpList(env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  const { code, stdout, stderr } = await run(CLAUDE_BIN, ['mcp', 'list'], env, 45_000, cwd);
  if (code !== 0) throw new Error(`claude mcp list failed (${code}): ${stderr.slice(-500)}`);
  return stdout;
}

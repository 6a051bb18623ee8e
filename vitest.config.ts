import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// tsconfig.json extends .wxt/tsconfig.json, which `wxt prepare` (and every wxt build) generates.
// The package has no install-time script (a user's `npm i -g` would warn about it), so a fresh
// clone running one test file before any build gets it here, once.
if (!existsSync('.wxt/tsconfig.json')) {
  execFileSync(process.execPath, ['node_modules/wxt/bin/wxt.mjs', 'prepare'], { stdio: 'inherit' });
}

export default defineConfig({
  test: {
    // Three projects by what a test costs (`npx vitest run --project unit` runs the first alone):
    // unit: in-process, no build, no keyring, no browser; process: starts the built host
    // (native-host/bin, dist/), a private keyring, or a real client binary (codex, claude, gemini,
    // mcp-remote); e2e: a real Chromium or Firefox with the built extension. `vitest run` runs all.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/**/*.process.test.ts', 'test/e2e/**'] } },
      { extends: true, test: { name: 'process', include: ['test/**/*.process.test.ts'], exclude: ['test/e2e/**'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
    // Real browsers, keyrings and servers: generous per-test limits, but each test bounds itself.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One file at a time: on CI's two cores a 50-process refresh storm or a Chromium start in one
    // file would starve another file's browser or provider into timeouts. Slower (about 3 min)
    // but every result means what it says.
    fileParallelism: false,
    // Hosts started by tests announce their bridges here, never in the user's real runtime folder
    // (where a real `mcp-login-bridge login` would find them). Tests that run `login` use their own.
    // Likewise the MCP clients' homes: a host a test starts without its own must find no Codex or
    // Claude Code (or Gemini CLI) configured, not the user's (and never write there).
    env: {
      MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(tmpdir(), `mlb-test-runtime-${process.pid}`),
      CODEX_HOME: join(tmpdir(), `mlb-test-codex-home-${process.pid}`),
      CLAUDE_CONFIG_DIR: join(tmpdir(), `mlb-test-claude-config-${process.pid}`),
      GEMINI_CLI_HOME: join(tmpdir(), `mlb-test-gemini-home-${process.pid}`),
    },
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});

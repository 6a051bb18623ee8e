import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real browsers, keyrings and servers: generous per-test limits, but each test bounds itself.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: files that start Chromium or a keyring run one at a time (see test/README.md).
    maxWorkers: 2,
    // Hosts started by tests announce their bridges here, never in the user's real runtime folder
    // (where a real `mcp-login-bridge login` would find them). Tests that run `login` use their own.
    env: { MCP_LOGIN_BRIDGE_RUNTIME_DIR: join(tmpdir(), `mlb-test-runtime-${process.pid}`) },
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});

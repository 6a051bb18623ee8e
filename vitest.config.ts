import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real browsers, keyrings and servers: generous per-test limits, but each test bounds itself.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: files that start Chromium or a keyring run one at a time (see test/README.md).
    maxWorkers: 2,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});

#!/usr/bin/env node
// The package's executable: runs the built host bundle (npm run build makes it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../../dist/native-host/mcp-login-bridge.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write(`mcp-login-bridge: ${bundle} is missing; run "npm run build" first.\n`);
  process.exit(1);
}
await import(bundle);

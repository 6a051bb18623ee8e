import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The executable of an earlier checkout (BENCH_BEFORE): its CommonJS launcher where it has one,
 * as the package's bin is now, so before and after start the same way; else the older ESM one.
 */
export function beforeLauncher(dir: string): string {
  const cjs = join(dir, 'native-host/bin/mcp-login-bridge.cjs');
  return existsSync(cjs) ? cjs : join(dir, 'native-host/bin/mcp-login-bridge.mjs');
}

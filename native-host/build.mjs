// Bundles the host and CLI into one file so a token helper starts fast (one module to load).
// @napi-rs/keyring stays external: it loads a platform-specific native addon.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['native-host/main.ts'],
  outfile: 'dist/native-host/mcp-login-bridge.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['@napi-rs/keyring'],
  define: { __HOST_VERSION__: JSON.stringify(version) },
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});

// Bundles the host and CLI into dist/native-host: the entry mcp-login-bridge.mjs and one chunk per
// command (main.ts imports each command on demand), plus token.cjs, the `token` command alone as
// one CommonJS file (token-main.ts: a headers helper runs it before MCP requests, and a single
// CommonJS file starts like a plain script, with no ESM graph to resolve). @napi-rs/keyring stays
// outside both: it loads a platform-specific native addon.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outdir = 'dist/native-host';

// @napi-rs/keyring is CommonJS with a native addon. Node's ESM import of it costs ~60 ms (the
// CJS-to-ESM wrapper), which every `token` call would pay; loaded through require (the banner's
// createRequire) it costs a few. Source imports stay plain ESM imports; only the bundle differs.
const keyringViaRequire = {
  name: 'keyring-via-require',
  setup(b) {
    b.onResolve({ filter: /^@napi-rs\/keyring$/ }, (args) =>
      args.namespace === 'keyring-shim' ? { path: args.path, external: true } : { path: 'keyring', namespace: 'keyring-shim' },
    );
    b.onLoad({ filter: /.*/, namespace: 'keyring-shim' }, () => ({ contents: "module.exports = require('@napi-rs/keyring');", loader: 'js' }));
  },
};

// Chunk names carry content hashes: clear out the previous build's.
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { 'mcp-login-bridge': 'native-host/main.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [keyringViaRequire],
  define: { __HOST_VERSION__: JSON.stringify(version) },
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
await build({
  entryPoints: { token: 'native-host/token-main.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['@napi-rs/keyring'],
  define: { __HOST_VERSION__: JSON.stringify(version) },
  // No source map: Node would read it at start-up only with --enable-source-maps, but a linked map
  // is one more file for nothing on the hot path; errors there name our own messages anyway.
  logLevel: 'warning',
});

// connect: one CommonJS file too (connect/connect-main.ts), for the same reason as token: a client
// waits for its start-up. The login flow it runs only without a login (or for a step-up) is a
// second file, connect-login.cjs, required on demand: bundled in, it would be parsed at every start.
const connectLogin = 'connect-login.cjs';
const loginOnDemand = {
  name: 'connect-login-on-demand',
  setup(b) {
    b.onResolve({ filter: /^\.\/login-runner$/ }, (args) => (args.importer.endsWith('serve.ts') ? { path: `./${connectLogin}`, external: true } : undefined));
  },
};
const connectBuild = {
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['@napi-rs/keyring'],
  define: { __HOST_VERSION__: JSON.stringify(version) },
  // Fewer bytes to read and parse at every start; names are kept, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};
await build({ ...connectBuild, entryPoints: { connect: 'native-host/connect/connect-main.ts' }, plugins: [loginOnDemand] });
await build({ ...connectBuild, entryPoints: { 'connect-login': 'native-host/connect/login-runner.ts' } });

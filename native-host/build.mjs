// Bundles the host and CLI into dist/native-host: the entry mcp-login-bridge.mjs and one chunk per
// command (main.ts imports each command on demand), plus `token` built on its own as two CommonJS
// files (a headers helper runs it before MCP requests, and a CommonJS file starts like a plain
// script, with no ESM graph to resolve):
// - token.cjs: token-main.ts and what it imports statically, i.e. the valid-token path;
// - token-lazy.cjs: every module that graph imports dynamically (refresh, the clients' copies and
//   rotation sync, the server-name lookup) and what they import, required only when one is needed.
// @napi-rs/keyring stays outside all of them: it loads a platform-specific native addon (token.cjs
// through native-host/stores/keyring-binding.cjs, which requires that addon's package directly).
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { relative, sep } from 'node:path';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outdir = 'dist/native-host';
const define = { __HOST_VERSION__: JSON.stringify(version) };

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
  define,
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});

// ---- token.cjs and token-lazy.cjs --------------------------------------------------------------
//
// esbuild splits code only for ESM output; a CommonJS bundle inlines every dynamic import. So the
// split is made here: in token.cjs each dynamic import of a module becomes a require of
// token-lazy.cjs, and token-lazy.cjs takes every module token.cjs already holds from token.cjs
// instead of bundling a second copy. One copy of each module matters beyond size: errors are
// told apart with instanceof (ProtocolError, UsageError), and the keychain module keeps the
// process's D-Bus connections, which the refresh path reuses.

const TOKEN = 'token.cjs';
const TOKEN_LAZY = 'token-lazy.cjs';
/** The export of both files that maps a module's key (keyOf) to its namespace. */
const MODULES = '__modules';
const SKIP = Symbol('resolving for a plugin');

/** A module's name in the maps: its path from the project root, with forward slashes. */
const keyOf = (path) => relative(process.cwd(), path).split(sep).join('/');

/** Resolves an import as esbuild would without the calling plugin; undefined for externals. */
async function resolveFile(b, args) {
  if (args.pluginData?.[SKIP]) return undefined;
  const result = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { [SKIP]: true } });
  return result.errors.length || result.external || result.namespace !== 'file' ? undefined : result.path;
}

/** A CommonJS module whose exports are one entry of the other file's module map. */
function fromOtherFile(b, namespace, file) {
  b.onResolve({ filter: /.*/, namespace }, (args) => ({ path: args.path, external: true }));
  b.onLoad({ filter: /.*/, namespace }, (args) => ({
    contents: `module.exports = require(${JSON.stringify(`./${file}`)}).${MODULES}[${JSON.stringify(args.path)}];`,
    loader: 'js',
  }));
}

/** token.cjs: dynamic imports (of modules not in its own graph) are taken from token-lazy.cjs. */
function dynamicImportsFromLazyFile(found, ownModules) {
  return {
    name: 'dynamic-imports-from-token-lazy',
    setup(b) {
      b.onResolve({ filter: /.*/, namespace: 'file' }, async (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const path = await resolveFile(b, args);
        if (path === undefined || ownModules?.has(path)) return undefined;
        found.add(path);
        return { path: keyOf(path), namespace: 'token-lazy' };
      });
      fromOtherFile(b, 'token-lazy', TOKEN_LAZY);
    },
  };
}

/** token-lazy.cjs: every module token.cjs holds is taken from there (and noted in `used`). */
function sharedFromTokenFile(tokenModules, used) {
  return {
    name: 'shared-from-token',
    setup(b) {
      b.onResolve({ filter: /.*/, namespace: 'file' }, async (args) => {
        if (args.kind === 'entry-point') return undefined;
        const path = await resolveFile(b, args);
        if (path === undefined || !tokenModules.has(path)) return undefined;
        used.add(path);
        return { path: keyOf(path), namespace: 'token-valid-path' };
      });
      fromOtherFile(b, 'token-valid-path', TOKEN);
    },
  };
}

// Node built-ins a bundle imports are required when the file loads; on the valid-token path that
// would be crypto, fs/promises and os before the first line runs, for code that needs them only to
// refresh, to write a file or to hash a file name; the lazy file would load http, tls and
// child_process for a name lookup. Each built-in our own modules import becomes an object of
// getters that requires it at first use. Not those Node has loaded before any CommonJS file runs
// (Node 20), which cost nothing; and modules from node_modules keep their plain requires
// (graceful-fs, for one, patches the real fs).
const PRELOADED = ['async_hooks', 'buffer', 'events', 'fs', 'module', 'path', 'querystring', 'timers', 'url', 'util'];
const builtins = new Set(builtinModules.filter((name) => !PRELOADED.includes(name)).flatMap((name) => [name, `node:${name}`]));
const requireHere = createRequire(import.meta.url);

/**
 * The names `source` imports from `specifier` (`import { a, b as c } from …`), or undefined when it
 * takes the module in another way (namespace or default import, re-export), which then gets a
 * getter for every name. A name the module does not have fails the build.
 */
function namesImported(source, specifier, module) {
  const from = new RegExp(`\\b(import|export)\\s+([^;]*?)\\s+from\\s+['"]${specifier.replace(/[/]/g, '\\/')}['"]`, 'g');
  const names = new Set();
  for (const [, verb, clause] of source.matchAll(from)) {
    const list = /^(type\s+)?\{([^}]*)\}$/.exec(clause.trim());
    if (verb === 'export' || !list) return undefined;
    if (list[1]) continue;
    for (const item of list[2].replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, '').split(',').map((i) => i.trim())) {
      if (!item || item.startsWith('type ')) continue;
      const name = item.split(/\s+as\s+/)[0];
      if (!(name in module)) throw new Error(`${specifier} has no export ${JSON.stringify(name)}`);
      names.add(name);
    }
  }
  return names;
}

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/, namespace: 'file' }, (args) => {
      if (!builtins.has(args.path) || args.kind !== 'import-statement' || args.importer.includes(`${sep}node_modules${sep}`)) return undefined;
      // One module per importer, with getters for the names it uses only: esbuild copies each of
      // them onto the importer's view of the module, at load.
      return { path: `${args.path} for ${keyOf(args.importer)}`, namespace: 'lazy-builtin', pluginData: { specifier: args.path, importer: args.importer } };
    });
    b.onResolve({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const { specifier: name, importer } = args.pluginData;
      const specifier = JSON.stringify(name.startsWith('node:') ? name : `node:${name}`);
      const module = requireHere(name);
      const names = namesImported(readFileSync(importer, 'utf8'), name, module) ?? Object.keys(module);
      const getters = [...names].map((key) => `  ${JSON.stringify(key)}: { enumerable: true, get: () => load()[${JSON.stringify(key)}] },`).join('\n');
      return { contents: `let m;\nconst load = () => (m ??= require(${specifier}));\nmodule.exports = Object.defineProperties({}, {\n${getters}\n});\n`, loader: 'js' };
    });
  },
};

// token.cjs and token-lazy.cjs take @napi-rs/keyring through native-host/stores/keyring-binding.cjs
// (the platform's binary without the package's loader; why there), which requires the package
// itself only as its fall-back.
const KEYRING_BINDING = `${process.cwd()}${sep}native-host${sep}stores${sep}keyring-binding.cjs`;
const keyringBinding = {
  name: 'keyring-binding',
  setup(b) {
    b.onResolve({ filter: /^@napi-rs\/keyring$/ }, (args) => (args.importer === KEYRING_BINDING ? { path: args.path, external: true } : { path: KEYRING_BINDING }));
  },
};

const tokenCommon = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  define,
  // Compiled on every call: whitespace and dead branches out, names kept (stack traces stay readable).
  minifyWhitespace: true,
  minifySyntax: true,
  // No source map: Node would read it at start-up only with --enable-source-maps, but a linked map
  // is one more file for nothing on the hot path; errors there name our own messages anyway.
  logLevel: 'warning',
};

// First pass: which modules token-main.ts's static graph holds, and which it imports dynamically.
const lazyModules = new Set();
const probe = await build({
  ...tokenCommon,
  entryPoints: ['native-host/token-main.ts'],
  outfile: `${outdir}/${TOKEN}`,
  write: false,
  metafile: true,
  plugins: [keyringBinding, dynamicImportsFromLazyFile(lazyModules), lazyBuiltins],
});
// Inputs of other namespaces are keyed "namespace:path"; project files by their relative path.
const tokenModules = new Set(Object.keys(probe.metafile.inputs).filter((input) => !/^[\w-]+:/.test(input)).map((input) => `${process.cwd()}${sep}${input.split('/').join(sep)}`));
// Imported dynamically in one place and statically in another: already in token.cjs.
for (const path of tokenModules) lazyModules.delete(path);

/** An entry that exports the modules at `paths` as one map, after `main` (an import or a re-export). */
function entryExporting(paths, main) {
  const list = [...paths].sort();
  const lines = list.map((path, i) => `import * as m${i} from ${JSON.stringify(path)};`);
  if (main) lines.unshift(main);
  lines.push(`export const ${MODULES} = {\n${list.map((path, i) => `  ${JSON.stringify(keyOf(path))}: m${i},`).join('\n')}\n};`);
  return { contents: lines.join('\n'), resolveDir: process.cwd(), sourcefile: 'token-entry.js', loader: 'js' };
}

// token-lazy.cjs first, to learn which of token.cjs's modules it takes: token.cjs exports those only.
const shared = new Set();
await build({
  ...tokenCommon,
  // token-lazy-main.ts first: it sets up the process for the refresh before those modules load.
  stdin: entryExporting(lazyModules, "import './native-host/token-lazy-main.ts';"),
  outfile: `${outdir}/${TOKEN_LAZY}`,
  plugins: [keyringBinding, sharedFromTokenFile(tokenModules, shared), lazyBuiltins],
});
await build({
  ...tokenCommon,
  stdin: entryExporting(shared, "export * from './native-host/token-main.ts';"),
  outfile: `${outdir}/${TOKEN}`,
  plugins: [keyringBinding, dynamicImportsFromLazyFile(new Set(), tokenModules), lazyBuiltins],
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

#!/usr/bin/env node
// The package's executable: runs the built host (npm run build makes it). CommonJS, so that
// `token` (run before MCP requests by headers helpers) starts like a one-file script: it goes to
// dist/native-host/token.cjs; every other command to the ESM bundle.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', '..', 'dist', 'native-host');
const args = process.argv.slice(2);
// `connect` (alias `proxy`) is one CommonJS file too: a client waits for its start-up.
const connect = args[0] === 'connect' || args[0] === 'proxy';
const file = join(dist, args[0] === 'token' ? 'token.cjs' : connect ? 'connect.cjs' : 'mcp-login-bridge.mjs');
if (!existsSync(file)) {
  process.stderr.write(`mcp-login-bridge: ${file} is missing; run "npm run build" first.\n`);
  process.exit(1);
}
if (args[0] === 'token') {
  require(file).runTokenCommand(args.slice(1));
} else if (connect) {
  require(file).runConnectCommand(args.slice(1));
} else {
  import(require('node:url').pathToFileURL(file).href);
}

#!/usr/bin/env node
// Kept for callers that name this path (helpers configured before the launcher became CommonJS):
// the executable is mcp-login-bridge.cjs beside it.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./mcp-login-bridge.cjs');

/**
 * Where mcp-remote 0.15 keeps one server's login (INTEROP.md "mcp-remote"), computed exactly as its
 * bundle does (`getServerUrlHash`, `getConfigDir`, `calculateDefaultPort` in dist/chunk-*.js):
 *
 * - folder: `$MCP_REMOTE_CONFIG_DIR`, else `~/.mcp-auth`, then `mcp-remote-v1` (a store-format
 *   version since 0.15; earlier releases used `mcp-remote-<package version>` and another layout);
 * - file prefix: md5 of `[serverUrl, resource?, authorizeParams?, headers?, clientMetadataUrl?,
 *   tokenEndpoint?].join('|')`, where the two objects are JSON with their keys sorted and are left out
 *   when empty. The URL and header values are hashed as written in the client's config (before
 *   mcp-remote substitutes `${VAR}` in headers), so one server with other options is another entry.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const MCP_REMOTE_STORE_FOLDER = 'mcp-remote-v1';

export interface HashInputs {
  serverUrl: string;
  authorizeResource?: string;
  authorizeParams?: Record<string, string>;
  headers?: Record<string, string>;
  clientMetadataUrl?: string;
  tokenEndpoint?: string;
}

export function serverUrlHash(inputs: HashInputs): string {
  const parts = [inputs.serverUrl];
  if (inputs.authorizeResource) parts.push(inputs.authorizeResource);
  if (inputs.authorizeParams && Object.keys(inputs.authorizeParams).length > 0) {
    parts.push(JSON.stringify(inputs.authorizeParams, Object.keys(inputs.authorizeParams).sort()));
  }
  if (inputs.headers && Object.keys(inputs.headers).length > 0) {
    parts.push(JSON.stringify(inputs.headers, Object.keys(inputs.headers).sort()));
  }
  if (inputs.clientMetadataUrl) parts.push(inputs.clientMetadataUrl);
  if (inputs.tokenEndpoint) parts.push(inputs.tokenEndpoint);
  return createHash('md5').update(parts.join('|')).digest('hex');
}

/** mcp-remote's store folder for a process started with `env` (the config's `env` over ours). */
export function mcpRemoteStoreDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  // mcp-remote calls os.homedir(), which reads $HOME on POSIX and USERPROFILE on Windows.
  const home = (platform === 'win32' ? env.USERPROFILE : env.HOME) || homedir();
  const base = env.MCP_REMOTE_CONFIG_DIR || join(home, '.mcp-auth');
  return join(base, MCP_REMOTE_STORE_FOLDER);
}

/** The callback port mcp-remote uses when the config names none: derived from the hash. */
export function defaultCallbackPort(hash: string): number {
  return 3335 + (parseInt(hash.substring(0, 4), 16) % 45816);
}

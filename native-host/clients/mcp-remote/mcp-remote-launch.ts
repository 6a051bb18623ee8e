/**
 * What one MCP client's stdio server entry tells about the mcp-remote it starts: which server it
 * proxies, and every option that decides where that mcp-remote looks for its login (the store
 * hash, the folder) and whether it would accept a client registration we write (its callback URL).
 *
 * Clients run it as a command: `npx [-y] mcp-remote[@version] <url> [port] [options]`, the `mcp-remote`
 * bin itself, `node …/mcp-remote/dist/proxy.js`, or through a launcher (`cmd /c npx …`, `bunx`,
 * `pnpm dlx`). Everything after the package token is mcp-remote's own argv, read here the way its
 * `parseCommandLineArgs` reads it (0.15.1): `--header`/`--header-file` are taken out first, then the
 * URL is the first argument and a callback port the second.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { isObject } from '../../stores/entry-fields';
import { defaultCallbackPort, mcpRemoteStoreDir, serverUrlHash, type HashInputs } from './mcp-remote-hash';

/** A configured server entry of the kind Claude Desktop, Cursor, Windsurf and VS Code write. */
export interface StdioServerEntry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export interface McpRemoteLaunch {
  /** The MCP server URL exactly as written (mcp-remote does not normalize it, nor do we). */
  url: string;
  /** The package version the entry pins (`mcp-remote@0.15.1`), when it pins one. */
  pinnedVersion?: string;
  hashInputs: HashInputs;
  /** The `<hash>` of `<hash>_tokens.json`. */
  hash: string;
  /** mcp-remote's store folder for this entry (`…/mcp-remote-v1`). */
  storeDir: string;
  /**
   * The redirect URL this mcp-remote will use. At start it deletes a stored client registration
   * whose `redirect_uris` lacks it, so the client_info we write must list it.
   */
  redirectUrl: string;
  /**
   * Set when the entry passes its own client (`--static-oauth-client-info`): mcp-remote then
   * ignores client_info.json and refreshes with that client, so only a login of the same client
   * id can be given to it. Undefined when the id could not be read (a file, `${VAR}`s).
   */
  staticClient?: { clientId?: string };
}

export type LaunchReading =
  | { kind: 'not-mcp-remote' }
  | { kind: 'mcp-remote'; launch: McpRemoteLaunch }
  /** An mcp-remote entry we cannot write for; `reason` says why (no secret, no header value). */
  | { kind: 'unsupported'; url?: string; reason: string };

/** The oldest release whose store (`mcp-remote-v1`, this hash, this file shape) is verified here. */
const FIRST_V1_RELEASE = [0, 15, 0] as const;

/** `mcp-remote`, `mcp-remote@0.15.1`, `…/bin/mcp-remote`, `mcp-remote.cmd`, `…/mcp-remote/dist/proxy.js`. */
function packageToken(token: string): { version?: string } | undefined {
  const normalized = token.replace(/\\/g, '/');
  if (/(^|\/)mcp-remote\/dist\/proxy\.js$/.test(normalized)) return {};
  const base = normalized.slice(normalized.lastIndexOf('/') + 1).replace(/\.(cmd|exe|ps1)$/i, '');
  const match = /^mcp-remote(?:@(.+))?$/.exec(base);
  if (!match) return undefined;
  return match[1] ? { version: match[1] } : {};
}

/** Whether a pinned version is older than the first release with the v1 store. */
function olderThanV1Store(version: string): boolean {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return false; // a dist-tag (latest, next): npx fetches the current release
  const parts = match.slice(1, 4).map(Number);
  for (let i = 0; i < 3; i++) {
    const [have, first] = [parts[i]!, FIRST_V1_RELEASE[i]!];
    if (have !== first) return have < first;
  }
  return false;
}

function parseHeaderLine(line: string): { name: string; value: string } | undefined {
  const match = /^([A-Za-z0-9_-]+):\s*(.*)$/.exec(line);
  return match ? { name: match[1]!, value: match[2]! } : undefined;
}

/** `--header-file`: one `Name: value` a line, `#` comments, as mcp-remote reads it. */
async function readHeaderFile(path: string, headers: Record<string, string>): Promise<void> {
  const text = await readFile(path, 'utf8');
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parsed = parseHeaderLine(line);
    if (parsed) headers[parsed.name] = parsed.value;
  }
}

function optionValue(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index !== -1 && index < args.length - 1 ? args[index + 1] : undefined;
}

const RESERVED_AUTHORIZE_PARAMS = new Set(['client_id', 'redirect_uri', 'response_type', 'state', 'code_challenge', 'code_challenge_method']);

/** mcp-remote refuses to start on a bad `--authorize-param`; such an entry has no login to write. */
function authorizeParams(args: string[]): Record<string, string> | string {
  const params: Record<string, string> = {};
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] !== '--authorize-param') continue;
    const raw = args[i + 1]!;
    const separator = raw.indexOf('=');
    if (separator < 1) return 'an --authorize-param is not key=value, so mcp-remote does not start';
    const key = raw.slice(0, separator).trim();
    if (RESERVED_AUTHORIZE_PARAMS.has(key)) return `--authorize-param ${key} is refused by mcp-remote, so it does not start`;
    params[key] = raw.slice(separator + 1);
  }
  return params;
}

function isClientMetadataUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.pathname !== '/';
  } catch {
    return false;
  }
}

/** The client id of `--static-oauth-client-info` when it is inline JSON without `${VAR}`s. */
function staticClientId(value: string): string | undefined {
  if (value.startsWith('@') || value.includes('${')) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return isObject(parsed) && typeof parsed.client_id === 'string' ? parsed.client_id : undefined;
  } catch {
    return undefined;
  }
}

export interface LaunchOptions {
  /** Our environment: mcp-remote inherits MCP_REMOTE_CONFIG_DIR from it unless the entry sets one. */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** Reads one stdio server entry; anything that is not an mcp-remote launch is `not-mcp-remote`. */
export async function readLaunch(entry: StdioServerEntry, options: LaunchOptions = {}): Promise<LaunchReading> {
  const tokens = [entry.command, ...entry.args];
  // `npx --package mcp-remote mcp-remote <url>` names the package once as an npx option.
  const at = tokens.findIndex((token, i) => packageToken(token) !== undefined && !['--package', '-p'].includes(tokens[i - 1] ?? ''));
  if (at === -1) return { kind: 'not-mcp-remote' };
  const pinnedVersion = packageToken(tokens[at]!)!.version;
  const args = tokens.slice(at + 1);
  const platform = options.platform ?? process.platform;

  // Headers first, taken out of argv as mcp-remote does, so the positional port is read after.
  const headers: Record<string, string> = {};
  for (let i = 0; i < args.length; ) {
    if (args[i] === '--header' && i < args.length - 1) {
      const parsed = parseHeaderLine(args[i + 1]!);
      if (parsed) headers[parsed.name] = parsed.value;
      args.splice(i, 2);
      continue;
    }
    if (args[i] === '--header-file' && i < args.length - 1) {
      const path = args[i + 1]!;
      // The header values are part of the store hash; a relative path depends on the client's
      // working folder, which the config does not say.
      if (!isAbsolute(path)) return { kind: 'unsupported', reason: `its --header-file ${path} is a relative path, so the store name it leads to cannot be known` };
      try {
        await readHeaderFile(path, headers);
      } catch (error) {
        return { kind: 'unsupported', reason: `its --header-file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}), and mcp-remote does not start without it` };
      }
      args.splice(i, 2);
      continue;
    }
    i++;
  }

  const url = args[0];
  if (!url || url.startsWith('--')) return { kind: 'unsupported', reason: 'it names no server URL after mcp-remote' };
  if (pinnedVersion && olderThanV1Store(pinnedVersion)) {
    return { kind: 'unsupported', url, reason: `it runs mcp-remote@${pinnedVersion}, which keeps its logins in its own older format (mcp-remote-${pinnedVersion}); use mcp-remote 0.15 or later` };
  }
  if (args.includes('--client-credentials')) return { kind: 'unsupported', url, reason: 'it uses --client-credentials: no user login, nothing to share' };
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    return { kind: 'unsupported', url, reason: 'its server URL is not a URL, so mcp-remote does not start' };
  }
  const loopbackHttp = parsedUrl.protocol === 'http:' && (parsedUrl.hostname === 'localhost' || parsedUrl.hostname === '127.0.0.1');
  if (parsedUrl.protocol !== 'https:' && !loopbackHttp && !args.includes('--allow-http')) {
    return { kind: 'unsupported', url, reason: 'mcp-remote refuses a plain http URL that is not on this machine without --allow-http' };
  }

  const params = authorizeParams(args);
  if (typeof params === 'string') return { kind: 'unsupported', url, reason: `${params}` };

  let authorizeResource: string | undefined;
  const resource = optionValue(args, '--resource')?.trim();
  if (resource && !args.includes('--disable-resource-parameter')) {
    try {
      new URL(resource);
    } catch {
      return { kind: 'unsupported', url, reason: 'its --resource is not an absolute URI, so mcp-remote does not start' };
    }
    authorizeResource = resource;
  }
  const metadataUrl = optionValue(args, '--client-metadata-url')?.trim();
  const clientMetadataUrl = metadataUrl && isClientMetadataUrl(metadataUrl) ? metadataUrl : undefined;

  const hashInputs: HashInputs = {
    serverUrl: url,
    ...(authorizeResource ? { authorizeResource } : {}),
    ...(Object.keys(params).length > 0 ? { authorizeParams: params } : {}),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(clientMetadataUrl ? { clientMetadataUrl } : {}),
  };
  const hash = serverUrlHash(hashInputs);

  const port = args[1] ? parseInt(args[1], 10) : NaN;
  const callbackPort = port ? port : defaultCallbackPort(hash);
  const host = optionValue(args, '--host') ?? (platform === 'win32' ? '127.0.0.1' : 'localhost');
  const pathValue = optionValue(args, '--callback-path');
  const callbackPath = pathValue && pathValue.startsWith('/') && pathValue !== '/wait-for-auth' && pathValue !== '/.mcp-remote/id' ? pathValue : '/oauth/callback';

  const staticInfo = optionValue(args, '--static-oauth-client-info');
  const env = { ...(options.env ?? process.env), ...(entry.env ?? {}) };
  return {
    kind: 'mcp-remote',
    launch: {
      url,
      ...(pinnedVersion ? { pinnedVersion } : {}),
      hashInputs,
      hash,
      storeDir: mcpRemoteStoreDir(env, platform),
      redirectUrl: `http://${host}:${callbackPort}${callbackPath}`,
      ...(staticInfo !== undefined ? { staticClient: { ...(staticClientId(staticInfo) ? { clientId: staticClientId(staticInfo)! } : {}) } } : {}),
    },
  };
}

/**
 * The host's config file: user provider rules, pre-registered clients (providers without dynamic
 * registration, e.g. Google), and extra extension ids allowed to start the host. JSON, and the
 * rules are the same objects as the extension's (shared/providers.ts): `hello` hands them to it.
 *
 * Location: $MCP_LOGIN_BRIDGE_CONFIG, else
 *   Linux    $XDG_CONFIG_HOME/mcp-login-bridge/config.json (default ~/.config/…)
 *   macOS    ~/Library/Application Support/mcp-login-bridge/config.json
 *   Windows  %APPDATA%\mcp-login-bridge\config.json
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, ProtocolError } from '../shared/errors';
import { clientIdUrlProblem } from '../shared/client-id-url';
import { parseRule, type ProviderRule } from '../shared/providers';
import { assertSecureUrl } from '../shared/secure-url';
import { readTextIfExists, writeFileAtomic } from './stores/atomic-file';
import { parseStoreSetting, type StoreMode } from './stores/store-setting';
import { configPath } from './config-path';

export { configPath } from './config-path';

export interface ConfiguredClient {
  /**
   * Applies to the `servers` listed whose authorization server has this issuer… Any MCP server
   * can name any issuer (accounts.google.com) in its metadata; without the list, every server
   * that did would get the user's own client, and tokens made with it, by naming it.
   */
  issuer?: string;
  /** With `issuer`: the MCP servers allowed to use this client, as server URLs or origins. */
  servers?: string[];
  /** …or to this one MCP server only (wins over an issuer match). */
  serverUrl?: string;
  clientId: string;
  clientSecret?: string;
  /** Default: client_secret_post when there is a secret (Google's default), else none. */
  tokenEndpointAuthMethod?: 'none' | 'client_secret_post' | 'client_secret_basic';
  /** Scopes to request instead of the discovered ones. */
  scopes?: string[];
}

/**
 * A Client ID Metadata Document the host may use as its client_id at authorization servers that
 * advertise `client_id_metadata_document_supported`: the URL where the organisation publishes it
 * (client-metadata/mcp-login-bridge.json is the template). With `issuer`, for that authorization
 * server only (wins); without, for every one that supports them.
 */
export interface ClientIdMetadataDocumentSetting {
  url: string;
  issuer?: string;
}

export interface HostConfig {
  rules: ProviderRule[];
  /** Ids of built-in rules the user switched off. */
  disabledRules: string[];
  clients: ConfiguredClient[];
  /** Extension ids (Chrome) or add-on ids (Firefox) allowed besides the built-in ones. */
  allowedExtensionIds: string[];
  /** Where the bridge keeps its own entries (stores/store-setting.ts); absent means "auto". */
  store?: StoreMode;
  /** Client ID Metadata Document URLs; absent means none. */
  clientIdMetadataDocuments?: ClientIdMetadataDocumentSetting[];
}

export const EMPTY_CONFIG: HostConfig = { rules: [], disabledRules: [], clients: [], allowedExtensionIds: [] };


function invalid(path: string, message: string): never {
  throw new ProtocolError(ErrorCode.ConfigInvalid, `config file ${path}: ${message}`);
}

function parseStringArray(value: unknown, path: string, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0 && v.length < 256)) {
    invalid(path, `"${field}" must be an array of strings`);
  }
  return value as string[];
}

function parseClient(value: unknown, path: string, index: number): ConfiguredClient {
  const where = `"clients"[${index}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(path, `${where} must be an object`);
  const v = value as Record<string, unknown>;
  const optionalUrl = (field: 'issuer' | 'serverUrl') => {
    const raw = v[field];
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string') invalid(path, `${where}."${field}" must be a string`);
    try {
      assertSecureUrl(raw, `${where}."${field}"`);
    } catch (err) {
      invalid(path, (err as Error).message);
    }
    return raw;
  };
  const issuer = optionalUrl('issuer');
  const serverUrl = optionalUrl('serverUrl');
  if (!issuer && !serverUrl) invalid(path, `${where} needs "issuer" or "serverUrl"`);
  if (typeof v.clientId !== 'string' || v.clientId.length === 0) invalid(path, `${where}."clientId" must be a non-empty string`);
  if (v.clientSecret !== undefined && typeof v.clientSecret !== 'string') invalid(path, `${where}."clientSecret" must be a string`);
  const method = v.tokenEndpointAuthMethod;
  if (method !== undefined && method !== 'none' && method !== 'client_secret_post' && method !== 'client_secret_basic') {
    invalid(path, `${where}."tokenEndpointAuthMethod" must be none, client_secret_post or client_secret_basic`);
  }
  const scopes = v.scopes === undefined ? undefined : parseStringArray(v.scopes, path, `${where}.scopes`);
  const servers = v.servers === undefined ? undefined : parseStringArray(v.servers, path, `${where}.servers`);
  if (servers && !issuer) invalid(path, `${where}."servers" goes with "issuer" ("serverUrl" names its one server already)`);
  for (const [i, server] of (servers ?? []).entries()) {
    try {
      assertSecureUrl(server, `${where}.servers[${i}]`);
    } catch (err) {
      invalid(path, (err as Error).message);
    }
    const u = new URL(server);
    if (u.search || u.hash || u.username || u.password) invalid(path, `${where}.servers[${i}] must be a server URL or an origin, without query, fragment or credentials`);
  }
  return {
    ...(issuer ? { issuer } : {}),
    ...(servers ? { servers } : {}),
    ...(serverUrl ? { serverUrl } : {}),
    clientId: v.clientId,
    ...(typeof v.clientSecret === 'string' ? { clientSecret: v.clientSecret } : {}),
    ...(method ? { tokenEndpointAuthMethod: method } : {}),
    ...(scopes ? { scopes } : {}),
  };
}

function parseDocumentSetting(value: unknown, path: string, index: number): ClientIdMetadataDocumentSetting {
  const where = `"clientIdMetadataDocuments"[${index}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(path, `${where} must be an object`);
  const v = value as Record<string, unknown>;
  if (typeof v.url !== 'string') invalid(path, `${where}."url" must be a string`);
  const problem = clientIdUrlProblem(v.url);
  if (problem) invalid(path, `${where}."url" ${problem} (a client_id metadata document URL)`);
  if (v.issuer !== undefined) {
    if (typeof v.issuer !== 'string') invalid(path, `${where}."issuer" must be a string`);
    try {
      assertSecureUrl(v.issuer, `${where}."issuer"`);
    } catch (err) {
      invalid(path, (err as Error).message);
    }
  }
  return { url: v.url, ...(typeof v.issuer === 'string' ? { issuer: v.issuer } : {}) };
}

/** The document URL configured for an issuer: its own entry, else the one for every issuer. */
export function clientIdMetadataDocumentFor(config: HostConfig, issuer: string): string | undefined {
  const documents = config.clientIdMetadataDocuments ?? [];
  return (documents.find((d) => d.issuer === issuer) ?? documents.find((d) => d.issuer === undefined))?.url;
}

/** Validates a parsed config document; errors name the file and the field (never a secret). */
export function parseConfig(value: unknown, path: string): HostConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(path, 'must be a JSON object');
  const v = value as Record<string, unknown>;
  if (v.rules !== undefined && !Array.isArray(v.rules)) invalid(path, '"rules" must be an array');
  if (v.clients !== undefined && !Array.isArray(v.clients)) invalid(path, '"clients" must be an array');
  const documents = v.clientIdMetadataDocuments;
  if (documents !== undefined && !Array.isArray(documents)) invalid(path, '"clientIdMetadataDocuments" must be an array');
  const rules = ((v.rules as unknown[]) ?? []).map((r, i) => {
    try {
      return parseRule(r, 'config');
    } catch (err) {
      invalid(path, `"rules"[${i}]: ${(err as Error).message}`);
    }
  });
  return {
    rules,
    disabledRules: parseStringArray(v.disabledRules, path, 'disabledRules'),
    clients: ((v.clients as unknown[]) ?? []).map((c, i) => parseClient(c, path, i)),
    allowedExtensionIds: parseStringArray(v.allowedExtensionIds, path, 'allowedExtensionIds'),
    ...(v.store !== undefined ? { store: parseStoreSetting(v.store, path) } : {}),
    ...(documents ? { clientIdMetadataDocuments: (documents as unknown[]).map((d, i) => parseDocumentSetting(d, path, i)) } : {}),
  };
}

/** Reads the config file; a missing file is an empty config, a broken one a clear error. */
export async function loadConfig(path: string = configPath()): Promise<HostConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_CONFIG;
    invalid(path, `cannot be read: ${(err as Error).message}`);
  }
  return parseConfig(parseConfigJson(text, path), path);
}

/** JSON.parse for the config file, whose error names the position only. */
function parseConfigJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the error, which may be a client secret: give the
    // position only.
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    invalid(path, `is not valid JSON${position ? ` (near character ${position})` : ''}`);
  }
}

export type ConfiguredClientMatch =
  | { kind: 'client'; client: ConfiguredClient }
  /** A client is configured for the issuer, but this server is not among its `servers`. */
  | { kind: 'not-enabled'; client: ConfiguredClient }
  | { kind: 'none' };

/**
 * The configured client for a server: a serverUrl match wins over an issuer match, and an issuer
 * match counts only for a server its `servers` list names (the exact URL, or its origin).
 */
export function findConfiguredClient(config: HostConfig, serverUrl: string, issuer: string): ConfiguredClientMatch {
  const exact = config.clients.find((c) => c.serverUrl === serverUrl);
  if (exact) return { kind: 'client', client: exact };
  const forIssuer = config.clients.filter((c) => !c.serverUrl && c.issuer === issuer);
  const enabled = forIssuer.find((c) => (c.servers ?? []).some((entry) => serverMatches(entry, serverUrl)));
  if (enabled) return { kind: 'client', client: enabled };
  return forIssuer[0] ? { kind: 'not-enabled', client: forIssuer[0] } : { kind: 'none' };
}

/** `entry` is a server URL (matches exactly) or an origin, with no path (every server on it). */
export function serverMatches(entry: string, serverUrl: string): boolean {
  try {
    const e = new URL(entry);
    const s = new URL(serverUrl);
    return e.pathname === '/' ? e.origin === s.origin : e.href === s.href;
  } catch {
    return false;
  }
}

/**
 * Adds an extension id to `allowedExtensionIds`, keeping everything else in the file. `install
 * --extension-id` calls it so the host's own check agrees with the manifest it just wrote.
 */
export async function allowExtensionId(id: string, path: string = configPath()): Promise<boolean> {
  // One read, validated and edited: a second read could see another version of the file than the
  // one checked (and its JSON error would quote it).
  let text: string | undefined;
  try {
    text = await readTextIfExists(path);
  } catch (err) {
    invalid(path, `cannot be read: ${(err as Error).message}`);
  }
  const doc = text === undefined ? {} : parseConfigJson(text, path);
  const config = parseConfig(doc, path); // also ensures doc is a JSON object
  if (config.allowedExtensionIds.includes(id)) return false;
  const edited = { ...(doc as Record<string, unknown>), allowedExtensionIds: [...config.allowedExtensionIds, id] };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // The file may hold client secrets: a fresh exclusive temp file (no planted symlink or leftover
  // followed, no old mode kept), 0600, renamed over the config.
  await writeFileAtomic(path, `${JSON.stringify(edited, null, 2)}\n`, 0o600);
  return true;
}

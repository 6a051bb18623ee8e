/**
 * What mcp-login-bridge needs from Codex's `config.toml` (in `$CODEX_HOME`, default `~/.codex`):
 * where Codex keeps MCP OAuth credentials, and the MCP servers it is configured with. Parsed with a
 * real TOML parser (smol-toml); validated field by field, with errors that name the file and the
 * key and never quote the file (it may hold a client secret).
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { FieldReader } from '../../../shared/field-reader';

export type CodexCredentialsStore = 'auto' | 'file' | 'keyring';

export interface CodexServerConfig {
  /** The `[mcp_servers.<name>]` key: the first half of Codex's store key. */
  name: string;
  /** Exactly as written (Codex does not normalize it; a trailing slash is another server). */
  url: string;
  enabled: boolean;
  bearerTokenEnvVar?: string;
  scopes?: string[];
  oauthResource?: string;
  /** `[mcp_servers.<name>.oauth]`: with these Codex refreshes with HTTP Basic client auth. */
  oauth?: { clientId?: string; clientSecret?: string };
  /** `http_headers_helper`, when set. */
  httpHeadersHelper?: unknown;
}

export interface CodexConfig {
  home: string;
  /** The config file read (it may not exist: then every default applies). */
  path: string;
  exists: boolean;
  /** `mcp_oauth_credentials_store`, default "auto". */
  credentialsStore: CodexCredentialsStore;
  /** Whether the key was written in the file (false: the default applies). */
  credentialsStoreExplicit: boolean;
  /** `[features] secret_auth_storage`, when set; its default is on for Windows builds only. */
  secretAuthStorage?: boolean;
  /** Servers with a `url` (streamable HTTP); stdio servers have no OAuth and are left out. */
  servers: CodexServerConfig[];
}

/** `$CODEX_HOME`, else `~/.codex`, as Codex resolves it. */
export function codexHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CODEX_HOME) return env.CODEX_HOME;
  return join(env.HOME || env.USERPROFILE || homedir(), '.codex');
}

export function codexConfigPath(home: string): string {
  return join(home, 'config.toml');
}

function invalid(path: string, what: string): never {
  throw new ProtocolError(ErrorCode.ConfigInvalid, `Codex config ${path}: ${what}`);
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** The shared field readers for one TOML table, naming a key as Codex's docs do: `[mcp_servers.x].url`. */
function tableReader(path: string, table: Record<string, unknown>, where: string): FieldReader {
  return new FieldReader(table, (message) => invalid(path, message), (key) => `${where}.${key}`);
}

function parseServer(path: string, name: string, value: unknown): CodexServerConfig | undefined {
  const where = `[mcp_servers.${name}]`;
  if (!isTable(value)) invalid(path, `${where} must be a table`);
  const read = tableReader(path, value, where);
  // TOML has no null; an empty string is Codex's to judge.
  const url = read.optionalString('url', { allowEmpty: true });
  if (url === undefined) return undefined; // a stdio server (command = …)
  const enabled = read.optionalBoolean('enabled');
  const server: CodexServerConfig = { name, url, enabled: enabled !== false };
  const bearer = read.optionalString('bearer_token_env_var', { allowEmpty: true });
  if (bearer !== undefined) server.bearerTokenEnvVar = bearer;
  const resource = read.optionalString('oauth_resource', { allowEmpty: true });
  if (resource !== undefined) server.oauthResource = resource;
  if (value.scopes !== undefined) server.scopes = read.stringArray('scopes');
  if (value.oauth !== undefined) {
    if (!isTable(value.oauth)) invalid(path, `[mcp_servers.${name}.oauth] must be a table`);
    const oauth = tableReader(path, value.oauth, `[mcp_servers.${name}.oauth]`);
    const clientId = oauth.optionalString('client_id', { allowEmpty: true });
    const clientSecret = oauth.optionalString('client_secret', { allowEmpty: true });
    server.oauth = {
      ...(clientId !== undefined ? { clientId } : {}),
      ...(clientSecret !== undefined ? { clientSecret } : {}),
    };
  }
  if (value.http_headers_helper !== undefined) server.httpHeadersHelper = value.http_headers_helper;
  return server;
}

/**
 * Codex reads any 64-bit integer; smol-toml refuses those beyond 2^53 unless they may be BigInts.
 * None of the settings read here is one, so a large value elsewhere must not make the file unreadable.
 */
export const TOML_OPTIONS = { integersAsBigInt: 'asNeeded' } as const;

/** Parses config.toml text. Exported for tests; `readCodexConfig` is what callers use. */
export function parseCodexConfig(text: string, home: string, path = codexConfigPath(home)): CodexConfig {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text, TOML_OPTIONS) as Record<string, unknown>;
  } catch (error) {
    // smol-toml's message quotes the offending line, which may be a client secret: position only.
    if (error instanceof TomlError) invalid(path, `not valid TOML at line ${error.line}, column ${error.column}; fix it (Codex cannot read it either)`);
    invalid(path, 'not valid TOML');
  }
  const store = doc.mcp_oauth_credentials_store;
  if (store !== undefined && store !== 'auto' && store !== 'file' && store !== 'keyring') {
    invalid(path, 'mcp_oauth_credentials_store must be "auto", "file" or "keyring"');
  }
  let secretAuthStorage: boolean | undefined;
  if (doc.features !== undefined) {
    if (!isTable(doc.features)) invalid(path, '[features] must be a table');
    const flag = doc.features.secret_auth_storage;
    if (flag !== undefined && typeof flag !== 'boolean') invalid(path, '[features] secret_auth_storage must be true or false');
    secretAuthStorage = flag;
  }
  const servers: CodexServerConfig[] = [];
  if (doc.mcp_servers !== undefined) {
    if (!isTable(doc.mcp_servers)) invalid(path, '[mcp_servers] must be a table');
    for (const [name, value] of Object.entries(doc.mcp_servers)) {
      const server = parseServer(path, name, value);
      if (server) servers.push(server);
    }
  }
  return {
    home,
    path,
    exists: true,
    credentialsStore: (store as CodexCredentialsStore | undefined) ?? 'auto',
    credentialsStoreExplicit: store !== undefined,
    ...(secretAuthStorage !== undefined ? { secretAuthStorage } : {}),
    servers,
  };
}

export async function readCodexConfig(home = codexHome()): Promise<CodexConfig> {
  const path = codexConfigPath(home);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { home, path, exists: false, credentialsStore: 'auto', credentialsStoreExplicit: false, servers: [] };
    }
    invalid(path, `cannot be read (${code ?? 'error'})`);
  }
  return parseCodexConfig(text, home, path);
}

/**
 * Whether Codex keeps MCP logins in its encrypted secrets file (`$CODEX_HOME/secrets/mcp_oauth.age`)
 * instead: the `secret_auth_storage` feature, on by default in Windows builds.
 */
export function usesEncryptedSecrets(config: CodexConfig, platform: NodeJS.Platform = process.platform): boolean {
  return config.secretAuthStorage ?? platform === 'win32';
}

/**
 * Gemini CLI's MCP servers: `mcpServers.<name>` in the user's `~/.gemini/settings.json` and in a
 * project's `.gemini/settings.json` (gemini-cli 0.61.0, `loadSettings` in its bundle). Gemini reads
 * these files as JSON with comments, expands `$VAR`, `${VAR}` and `${VAR:-default}` in every string,
 * and merges `mcpServers` shallowly with the project's entry winning over the user's of the same name.
 * Only URL servers can use OAuth: `httpUrl` (Streamable HTTP; it wins when `url` is also set) or
 * `url` (HTTP or SSE). Servers with an `authProviderType` of Google credentials or service account
 * impersonation never read the MCP OAuth token store, so they are left out.
 *
 * Gemini keys its stored logins by server name only, so the name is all a store entry needs.
 * Nothing here writes a settings file: a bad file or entry is a problem of its own, reported with
 * the file and field, never with a value.
 */
import { resolve } from 'node:path';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { readConfigText } from '../read-config-text';
import { FieldReader, isObject, jsonType, type Fields } from '../../../shared/field-reader';
import { geminiHome, geminiProjectSettingsPath, geminiUserSettingsPath } from './gemini-paths';

export interface GeminiOAuthSettings {
  enabled: boolean;
  clientId?: string;
  /** Gemini sends a client secret only from here, never from its token store. */
  clientSecret?: string;
  scopes?: string[];
}

export interface GeminiServerConfig {
  name: string;
  /** After Gemini's variable expansion. */
  url: string;
  transport: 'httpUrl' | 'url';
  oauth?: GeminiOAuthSettings;
}

export interface GeminiServer {
  name: string;
  url: string;
  /** The file (and scope) it came from, for messages. */
  source: string;
  config: GeminiServerConfig;
}

export interface GeminiDiscovery {
  servers: GeminiServer[];
  problems: string[];
}

export interface GeminiDiscoveryOptions {
  env?: NodeJS.ProcessEnv;
  /** Where to look for `.gemini/settings.json` (project scope); default: the current directory. */
  projectDir?: string;
}

const SKIPPED_AUTH_PROVIDERS = new Set(['google_credentials', 'service_account_impersonation']);

function problemText(path: string, what: string): string {
  return `Gemini CLI settings ${path}: ${what}`;
}

function invalid(path: string, what: string): never {
  throw new ProtocolError(ErrorCode.ConfigInvalid, problemText(path, what));
}

/**
 * JSON with `//` and `/* *\/` comments, as strip-json-comments (Gemini's parser) accepts it: comments
 * become spaces, strings are left alone. Trailing commas stay an error, as in Gemini.
 */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out += text.slice(start, ++i);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') (out += ' '), i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\r\n]/g, ' ');
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Gemini's `resolveEnvVarsInString`: unknown variables without a default stay as written. */
export function expandEnvVars(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$(?:(\w+)|{([^}]+?)(?::-([^}]*))?})/g, (match, plain?: string, braced?: string, fallback?: string) => {
    const name = plain || braced || '';
    if (!name) return match;
    const found = env[name];
    if (typeof found === 'string') return found;
    return fallback !== undefined ? fallback : match;
  });
}

/** The shared field readers, naming a key by its path in the file: `mcpServers.x.oauth.clientId`. */
function settingsReader(path: string, value: Fields, where: string): FieldReader {
  return new FieldReader(value, (message) => invalid(path, message), (key) => `${where}.${key}`);
}

function parseOAuth(path: string, where: string, value: unknown, env: NodeJS.ProcessEnv): GeminiOAuthSettings | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) invalid(path, `${where}.oauth must be an object, got ${jsonType(value)}`);
  const read = settingsReader(path, value, `${where}.oauth`);
  const text = (field: string): string | undefined => {
    const v = read.optionalString(field, { allowEmpty: true, nullIsAbsent: false });
    return v === undefined ? undefined : expandEnvVars(v, env);
  };
  const scopes = value.scopes === undefined ? undefined : read.stringArray('scopes');
  const clientId = text('clientId');
  const clientSecret = text('clientSecret');
  return {
    enabled: value.enabled === true,
    ...(clientId ? { clientId } : {}),
    ...(clientSecret ? { clientSecret } : {}),
    ...(scopes ? { scopes: scopes.map((s) => expandEnvVars(s, env)) } : {}),
  };
}

function parseServer(path: string, name: string, value: unknown, env: NodeJS.ProcessEnv): GeminiServerConfig | undefined {
  const where = `mcpServers.${name}`;
  if (!isObject(value)) invalid(path, `${where} must be an object, got ${jsonType(value)}`);
  const field = value.httpUrl !== undefined ? 'httpUrl' : value.url !== undefined ? 'url' : undefined;
  if (!field) return undefined; // a stdio (command) server: no OAuth
  const raw = settingsReader(path, value, where).string(field, { allowEmpty: true });
  if (typeof value.authProviderType === 'string' && SKIPPED_AUTH_PROVIDERS.has(value.authProviderType)) return undefined;
  const oauth = parseOAuth(path, where, value.oauth, env);
  return { name, url: expandEnvVars(raw, env), transport: field, ...(oauth ? { oauth } : {}) };
}

async function readSettings(path: string): Promise<Fields | undefined> {
  const text = await readConfigText(path, (code) => invalid(path, `cannot be read (${code})`));
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripJsonComments(text));
  } catch {
    // V8's message quotes the input, which may hold a secret: not passed on.
    invalid(path, 'not valid JSON (comments are allowed, trailing commas are not); Gemini CLI refuses to start with it too');
  }
  if (!isObject(parsed)) invalid(path, `must hold a JSON object, got ${jsonType(parsed)}`);
  return parsed;
}

/** The valid URL servers of one settings file; one bad entry does not hide the others. */
async function serversIn(path: string, env: NodeJS.ProcessEnv, problems: string[]): Promise<GeminiServerConfig[]> {
  let settings: Fields | undefined;
  try {
    settings = await readSettings(path);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    problems.push(error.message);
    return [];
  }
  if (!settings || settings.mcpServers === undefined) return [];
  if (!isObject(settings.mcpServers)) {
    problems.push(problemText(path, `mcpServers must be an object, got ${jsonType(settings.mcpServers)}`));
    return [];
  }
  const servers: GeminiServerConfig[] = [];
  for (const [name, entry] of Object.entries(settings.mcpServers)) {
    try {
      const server = parseServer(path, name, entry, env);
      if (server) servers.push(server);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      problems.push(error.message);
    }
  }
  return servers;
}

/** Every URL server Gemini CLI would use from this project directory, user and project scope. */
export async function discoverGeminiServers(options: GeminiDiscoveryOptions = {}): Promise<GeminiDiscovery> {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const byName = new Map<string, GeminiServer>();
  const userPath = geminiUserSettingsPath(env);
  for (const config of await serversIn(userPath, env, problems)) {
    byName.set(config.name, { name: config.name, url: config.url, source: `${userPath} (user)`, config });
  }
  const projectDir = resolve(options.projectDir ?? process.cwd());
  // Gemini skips the project file when the project is the home directory (it is the user file then).
  if (projectDir !== resolve(geminiHome(env))) {
    const projectPath = geminiProjectSettingsPath(projectDir);
    for (const config of await serversIn(projectPath, env, problems)) {
      // Shallow merge: the project's entry replaces the user's entry of the same name.
      byName.set(config.name, { name: config.name, url: config.url, source: `${projectPath} (project)`, config });
    }
  }
  return { servers: [...byName.values()], problems };
}

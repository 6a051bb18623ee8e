/**
 * Claude Code's MCP server configuration: user scope (`mcpServers` in `~/.claude.json`, or
 * `$CLAUDE_CONFIG_DIR/.claude.json`), local scope (`projects[<dir>].mcpServers` in the same file)
 * and project scope (`.mcp.json` in the project directory). Only URL servers (`http`, `sse`) can
 * use OAuth; stdio servers are left out.
 */
import { join } from 'node:path';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { readConfigText } from '../read-config-text';
import { FieldReader, isObject, jsonType, type Fields } from '../../../shared/field-reader';
import { claudeUserConfigPath } from './claude-paths';
import { asksBridgeToken } from '../asks-bridge-token';
import { notice, type ClientDiscovery, type ConfiguredServer } from '../client-adapter';
import { claudeServerRef } from './claude-server-ref';
import { claudeStoreKey } from './store-key';

export interface ClaudeServerConfig {
  name: string;
  /** As written; undefined when the entry has no `type` (it matters for the store key). */
  type?: string;
  url: string;
  headers?: Record<string, string>;
  headersHelper?: string;
  oauth?: { clientId?: string; callbackPort?: number; authServerMetadataUrl?: string };
}

function invalid(path: string, what: string): never {
  throw new ProtocolError(ErrorCode.ConfigInvalid, problemText(path, what));
}

function parseServer(path: string, where: string, name: string, value: unknown): ClaudeServerConfig | undefined {
  if (!isObject(value)) invalid(path, `${where}.${name} must be an object, got ${jsonType(value)}`);
  // The shared field readers, naming a key by its path in the file: `mcpServers.x.url`.
  const read: FieldReader = new FieldReader(value, (message) => invalid(path, message), (key) => `${where}.${name}.${key}`);
  const type = read.optionalString('type', { allowEmpty: true, nullIsAbsent: false });
  if (value.url === undefined || type === 'stdio') return undefined;
  const url = read.string('url', { allowEmpty: true });
  const server: ClaudeServerConfig = { name, url, ...(type !== undefined ? { type } : {}) };
  if (value.headers !== undefined) {
    if (!isObject(value.headers) || !Object.values(value.headers).every((v) => typeof v === 'string')) {
      read.fail('headers', 'must be an object of strings');
    }
    server.headers = value.headers as Record<string, string>;
  }
  const headersHelper = read.optionalString('headersHelper', { allowEmpty: true, nullIsAbsent: false });
  if (headersHelper !== undefined) server.headersHelper = headersHelper;
  if (value.oauth !== undefined) {
    if (!isObject(value.oauth)) read.fail('oauth', 'must be an object');
    const o = value.oauth;
    server.oauth = {
      ...(typeof o.clientId === 'string' ? { clientId: o.clientId } : {}),
      ...(typeof o.callbackPort === 'number' ? { callbackPort: o.callbackPort } : {}),
      ...(typeof o.authServerMetadataUrl === 'string' ? { authServerMetadataUrl: o.authServerMetadataUrl } : {}),
    };
  }
  return server;
}

/**
 * The valid servers of one `mcpServers` object. One bad entry is a problem of its own, added to
 * `problems`: it must not hide the servers next to it (nor, in `.claude.json`, the other projects).
 */
function parseServers(path: string, where: string, value: unknown, problems: string[]): ClaudeServerConfig[] {
  if (value === undefined) return [];
  if (!isObject(value)) {
    problems.push(problemText(path, `${where} must be an object, got ${jsonType(value)}`));
    return [];
  }
  const servers: ClaudeServerConfig[] = [];
  for (const [name, entry] of Object.entries(value)) {
    try {
      const server = parseServer(path, where, name, entry);
      if (server) servers.push(server);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      problems.push(error.message);
    }
  }
  return servers;
}

function problemText(path: string, what: string): string {
  return `Claude Code config ${path}: ${what}`;
}

async function readJson(path: string): Promise<Fields | undefined> {
  const text = await readConfigText(path, (code) => invalid(path, `cannot be read (${code})`));
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    invalid(path, 'not valid JSON');
  }
  if (!isObject(parsed)) invalid(path, `must hold a JSON object, got ${jsonType(parsed)}`);
  return parsed;
}

export interface ClaudeDiscoveryOptions {
  env?: NodeJS.ProcessEnv;
  /** Where to look for `.mcp.json` (project scope); default: the current directory. */
  projectDir?: string;
}

/** Every URL server Claude Code has configured, user, local and project scope. */
export async function discoverClaudeServers(options: ClaudeDiscoveryOptions = {}): Promise<ClientDiscovery & { servers: ConfiguredServer<ClaudeServerConfig>[] }> {
  const env = options.env ?? process.env;
  const servers: ConfiguredServer<ClaudeServerConfig>[] = [];
  const problems: string[] = [];
  const add = (list: ClaudeServerConfig[], source: string) => {
    for (const config of list) {
      servers.push({ client: 'claude-code', name: config.name, url: config.url, source, entryKey: claudeStoreKey(config.name, claudeServerRef(config)), storeReachable: true, ...(asksBridgeToken(config.headersHelper) ? { asksToken: 'headersHelper' } : {}), config });
    }
  };
  const userPath = claudeUserConfigPath(env);
  try {
    const user = await readJson(userPath);
    if (user) {
      add(parseServers(userPath, 'mcpServers', user.mcpServers, problems), `${userPath} (user)`);
      if (isObject(user.projects)) {
        for (const [dir, project] of Object.entries(user.projects)) {
          if (isObject(project)) add(parseServers(userPath, `projects["${dir}"].mcpServers`, project.mcpServers, problems), `${userPath} (local, ${dir})`);
        }
      }
    }
  } catch (error) {
    problems.push((error as Error).message);
  }
  const projectPath = join(options.projectDir ?? process.cwd(), '.mcp.json');
  try {
    const project = await readJson(projectPath);
    if (project) add(parseServers(projectPath, 'mcpServers', project.mcpServers, problems), `${projectPath} (project)`);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return { servers, problems: problems.map((problem) => notice('claude-code', 'config-unreadable', problem)) };
}

/**
 * Adds `client_id` / `client_secret` under `[mcp_servers.<name>.oauth]` in Codex's config.toml as a
 * text edit, so the user's comments, blank lines and key order survive (smol-toml, like most TOML
 * libraries, cannot write a document back with its comments).
 *
 * Only table headers are looked at (a line whose first character is `[`, parsed as a dotted key);
 * new lines go right after the oauth table's header, or, when there is no such table, a new one is
 * inserted at the end of the server's own section. The result is parsed again and must equal the
 * original document plus exactly the added keys; otherwise nothing is written.
 */
import { readFile } from 'node:fs/promises';
import { parse, TomlError } from 'smol-toml';
import { TOML_OPTIONS } from './codex-config';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { writeFileAtomic } from '../../stores/atomic-file';
import { codexOauthTableHeader } from './codex-client-advice';

export interface OauthSettings {
  clientId?: string;
  clientSecret?: string;
}

function fail(path: string, what: string): never {
  throw new ProtocolError(ErrorCode.ConfigInvalid, `Cannot add the client settings to ${path}: ${what}`);
}

/** Parses a header line's dotted key (`[a."b c".d]` → ['a', 'b c', 'd']); undefined for anything else. */
export function parseTableHeader(line: string): string[] | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('[') || trimmed.startsWith('[[')) return undefined;
  const keys: string[] = [];
  let i = 1;
  const skipSpace = () => {
    while (trimmed[i] === ' ' || trimmed[i] === '\t') i += 1;
  };
  for (;;) {
    skipSpace();
    const c = trimmed[i];
    if (c === '"' || c === "'") {
      const end = trimmed.indexOf(c, i + 1);
      if (end < 0) return undefined;
      const raw = trimmed.slice(i, end + 1);
      let key: string;
      try {
        key = c === '"' ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      } catch {
        return undefined; // a TOML escape JSON does not know; such a header is not one we edit
      }
      keys.push(key);
      i = end + 1;
    } else {
      const match = /^[A-Za-z0-9_-]+/.exec(trimmed.slice(i));
      if (!match) return undefined;
      keys.push(match[0]);
      i += match[0].length;
    }
    skipSpace();
    if (trimmed[i] === '.') {
      i += 1;
      continue;
    }
    if (trimmed[i] !== ']') return undefined;
    const rest = trimmed.slice(i + 1).trim();
    return rest === '' || rest.startsWith('#') ? keys : undefined;
  }
}

/**
 * smol-toml's message quotes the lines around the error, which may hold a client secret: name the
 * position only (as codex-config.ts does). `what` says whose text it is: the file as read, or our
 * edit of it (whose lines would include the secret being added).
 */
function parseToml(text: string, path: string, what: 'file' | 'edit'): Record<string, any> {
  try {
    return parse(text, TOML_OPTIONS) as Record<string, any>;
  } catch (error) {
    if (what === 'edit') fail(path, 'the edited file would not be valid TOML; add them by hand');
    if (error instanceof TomlError) fail(path, `it is not valid TOML at line ${error.line}, column ${error.column}; fix it (Codex cannot read it either)`);
    fail(path, 'it is not valid TOML');
  }
}

const samePath = (a: string[] | undefined, b: string[]) => a !== undefined && a.length === b.length && a.every((k, i) => k === b[i]);

/** The edited text; exported for tests. `settings` holds only the keys to add. */
export function addCodexOauthSettings(text: string, serverName: string, settings: OauthSettings, path = 'config.toml'): string {
  const before = parseToml(text, path, 'file');
  const server = before.mcp_servers?.[serverName];
  if (!server) fail(path, `it has no [mcp_servers.${serverName}] table`);
  const existing = server.oauth ?? {};
  const additions: [string, string][] = [];
  if (settings.clientId !== undefined && existing.client_id === undefined) additions.push(['client_id', settings.clientId]);
  if (settings.clientSecret !== undefined && existing.client_secret === undefined) additions.push(['client_secret', settings.clientSecret]);
  if (additions.length === 0) return text;

  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const headers = lines.map(parseTableHeader);
  const body = additions.map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
  const oauthAt = headers.findIndex((h) => samePath(h, ['mcp_servers', serverName, 'oauth']));
  if (oauthAt >= 0) {
    lines.splice(oauthAt + 1, 0, ...body);
  } else if (server.oauth !== undefined) {
    fail(path, `[mcp_servers.${serverName}] sets oauth inline or with dotted keys; add ${additions.map(([k]) => k).join(' and ')} there by hand`);
  } else {
    const serverAt = headers.findIndex((h) => samePath(h, ['mcp_servers', serverName]));
    if (serverAt < 0) fail(path, `[mcp_servers.${serverName}] is not written as a table header; add the ${codexOauthTableHeader(serverName)} table by hand`);
    let end = headers.findIndex((h, i) => i > serverAt && h !== undefined);
    if (end < 0) end = lines.length;
    // Keep the blank lines and comments that lead into the next table with that table.
    while (end > serverAt + 1 && /^\s*(#.*)?$/.test(lines[end - 1]!)) end -= 1;
    lines.splice(end, 0, '', codexOauthTableHeader(serverName), ...body);
  }
  const edited = lines.join(newline);

  // The edit must change exactly what was meant and nothing else.
  const after = parseToml(edited, path, 'edit');
  const expected = parseToml(text, path, 'file');
  expected.mcp_servers[serverName].oauth = { ...existing, ...Object.fromEntries(additions) };
  if (canonical(after) !== canonical(expected)) fail(path, 'the edit would change more than the oauth settings; add them by hand');
  return edited;
}

/** JSON with sorted keys: equal documents give equal text whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint'
      ? `${v}n`
      : v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
        ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}

export interface WriteCodexOauthOptions {
  /** Runs between making the edit and checking the file is unchanged; a seam for tests. */
  beforeReplace?: () => Promise<void>;
}

async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    fail(path, `it cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * Reads, edits and atomically rewrites config.toml (0600 from now on: it holds a secret).
 *
 * Codex takes no lock on config.toml, and `codex mcp add` or an editor may write it while we edit:
 * just before replacing it, the file is read again, and if it changed the edit is redone once from
 * the new text (their change kept); if it changed again, nothing is written. What remains is the
 * moment between that last read and the rename, which no lock shared with Codex can close.
 */
export async function writeCodexOauthSettings(path: string, serverName: string, settings: OauthSettings, options: WriteCodexOauthOptions = {}): Promise<boolean> {
  let text = await readConfigText(path);
  for (let attempt = 1; ; attempt += 1) {
    const edited = addCodexOauthSettings(text, serverName, settings, path);
    if (edited === text) return false;
    await options.beforeReplace?.();
    const current = await readConfigText(path);
    if (current === text) {
      await writeFileAtomic(path, edited, 0o600);
      return true;
    }
    if (attempt === 2) fail(path, 'it kept changing while the settings were added (Codex or an editor writing it); nothing was written: run the login again with --write-config');
    text = current;
  }
}

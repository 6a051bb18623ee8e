/**
 * Writes one login into every local client that has the server configured (DESIGN.md §4, issue 3):
 * Codex under its `[mcp_servers.<name>]` name and store, Claude Code under its `mcpServers.<name>`
 * entry. One client failing does not undo the others or the bridge entry; it becomes a notice that
 * says what to do. Notices never carry a secret.
 */
import { ProtocolError } from '../../shared/errors';
import type { ClientNotice, CompleteResult, StoredTarget } from '../../shared/protocol';
import { configPath } from '../config';
import { ClaudeCodeStore } from '../stores/claude-code/claude-code-store';
import { CodexStore } from '../stores/codex/codex-store';
import type { StoredCredential } from '../stores/credential';
import { claudeServerRef, type ClientDiscovery, type ClientName, type ClientServer } from './client-server';
import { CODEX_SECRET_ADVICE_PREFIX, codexClientAdvice, describeCodexAdvice } from './codex-client-advice';
import { codexHome, readCodexConfig } from './codex-config';
import { writeCodexOauthSettings } from './codex-config-edit';
import { discoverClientServers, serversForUrl } from './configured-servers';

export interface ClientLoginContext {
  /** Where the protected resource metadata was found (Claude keeps it for later discovery). */
  resourceMetadataUrl?: string;
  /** Only these clients; default: every client that has the URL configured. */
  clients?: readonly ClientName[];
  /** Add missing `[mcp_servers.<name>.oauth]` client settings to Codex's config.toml. */
  writeCodexConfig?: boolean;
}

export interface ClientLoginResult {
  stored: StoredTarget[];
  notices: ClientNotice[];
}

export interface ClientLoginDeps {
  discover?: () => Promise<ClientDiscovery>;
  codex?: CodexStore;
  claude?: ClaudeCodeStore;
}

export class ClientLogins {
  readonly #discover: () => Promise<ClientDiscovery>;
  readonly #codex: CodexStore;
  readonly #claude: ClaudeCodeStore;

  constructor(deps: ClientLoginDeps = {}) {
    this.#codex = deps.codex ?? new CodexStore();
    this.#claude = deps.claude ?? new ClaudeCodeStore();
    this.#discover = deps.discover ?? (() => discoverClientServers({ codexHome: this.#codex.home }));
  }

  async write(credential: StoredCredential, context: ClientLoginContext = {}): Promise<ClientLoginResult> {
    const discovery = await this.#discover();
    const wanted = context.clients ? new Set(context.clients) : undefined;
    const result: ClientLoginResult = { stored: [], notices: [] };
    for (const problem of discovery.problems) result.notices.push({ target: problem.includes('Codex') ? 'codex' : 'claude-code', kind: 'config-unreadable', message: problem });
    for (const server of serversForUrl(discovery, credential.serverUrl)) {
      if (wanted && !wanted.has(server.client)) continue;
      try {
        if (server.client === 'codex') await this.#writeCodex(server, credential, context, result);
        else await this.#writeClaude(server, credential, context, result);
      } catch (error) {
        result.notices.push({
          target: server.client,
          kind: 'write-failed',
          server: server.name,
          // Our own errors name files and fields only; anything else is reduced to its class.
          message: `Not written to ${server.client} (${server.name}): ${error instanceof ProtocolError ? error.message : `${(error as Error).name ?? 'error'}`}`,
        });
      }
    }
    for (const client of wanted ?? []) {
      if (!serversForUrl(discovery, credential.serverUrl).some((s) => s.client === client)) {
        result.notices.push({ target: client, kind: 'not-configured', message: notConfigured(client, credential.serverUrl) });
      }
    }
    return result;
  }

  async #writeCodex(server: Extract<ClientServer, { client: 'codex' }>, credential: StoredCredential, context: ClientLoginContext, result: ClientLoginResult): Promise<void> {
    let config = await readCodexConfig(this.#codex.home);
    let advice = codexClientAdvice(server.config, credential);
    if (advice.kind === 'missing-secret' && context.writeCodexConfig) {
      // The config edit is a convenience on top of the login: when it refuses (oauth written with
      // dotted keys, a file that no longer parses), say why and still store the credential, with
      // the advice saying which lines to add by hand, as without --write-config.
      try {
        result.notices.push(await addCodexClientSettings(this.#codex.home, server.name, credential));
        config = await readCodexConfig(this.#codex.home);
        advice = codexClientAdvice(config.servers.find((s) => s.name === server.name) ?? server.config, credential);
      } catch (error) {
        result.notices.push({
          target: 'codex',
          kind: 'config-edit-failed',
          server: server.name,
          // Our own errors name files and fields only; anything else is reduced to its class.
          message: error instanceof ProtocolError ? error.message : `Could not edit ${config.path} for ${server.name} (${error instanceof Error ? error.name : 'error'}).`,
        });
      }
    }
    if (advice.kind === 'client-id-mismatch') {
      // Codex would refuse this entry and ask for a new login; leave its current one alone.
      result.notices.push({ target: 'codex', kind: 'client-id-mismatch', server: server.name, message: describeCodexAdvice(advice, server.name, config.path, configPath())! });
      return;
    }
    const written = await this.#codex.write(server, credential, config);
    result.stored.push({ target: 'codex', location: written.location, server: server.name });
    if (written.warning) result.notices.push({ target: 'codex', kind: 'stale-entry', server: server.name, message: written.warning });
    const text = describeCodexAdvice(advice, server.name, config.path, configPath());
    if (text) result.notices.push({ target: 'codex', kind: 'settings-missing', server: server.name, message: text });
  }

  async #writeClaude(server: Extract<ClientServer, { client: 'claude-code' }>, credential: StoredCredential, context: ClientLoginContext, result: ClientLoginResult): Promise<void> {
    const ref = claudeServerRef(server);
    const written = await this.#claude.write(ref, credential, {
      authorizationServerUrl: credential.issuer,
      ...(context.resourceMetadataUrl ? { resourceMetadataUrl: context.resourceMetadataUrl } : {}),
    });
    result.stored.push({ target: 'claude-code', location: written.location, server: server.name });
  }
}

/** Adds the client id and secret Codex needs for `serverName` to its config.toml. */
async function addCodexClientSettings(home: string, serverName: string, credential: StoredCredential): Promise<ClientNotice> {
  const config = await readCodexConfig(home);
  const server = config.servers.find((s) => s.name === serverName);
  const advice = server ? codexClientAdvice(server, credential) : undefined;
  if (advice?.kind !== 'missing-secret') return { target: 'codex', kind: 'settings-added', server: serverName, message: `Codex's ${config.path} already has the client settings for ${serverName}.` };
  await writeCodexOauthSettings(config.path, serverName, {
    ...(advice.missing.includes('client_id') ? { clientId: credential.clientId } : {}),
    ...(advice.missing.includes('client_secret') && credential.clientSecret ? { clientSecret: credential.clientSecret } : {}),
  });
  return { target: 'codex', kind: 'settings-added', server: serverName, message: `Added ${advice.missing.join(' and ')} for ${serverName} to ${config.path} (now mode 0600: it holds a secret).` };
}

/**
 * `login --write-config` after a login that a browser's host completed: that host only said which
 * lines Codex needs; this adds them, taking the client secret from the keychain entry, and replaces
 * those notices with what was done.
 */
export async function applyCodexClientSettings(
  result: CompleteResult,
  readCredential: () => Promise<StoredCredential | undefined>,
  home = codexHome(),
): Promise<CompleteResult> {
  const pending = (result.notices ?? []).filter((n) => n.target === 'codex' && n.server && n.message.startsWith(CODEX_SECRET_ADVICE_PREFIX));
  if (pending.length === 0) return result;
  const credential = await readCredential();
  if (!credential) return result;
  const notices = [...(result.notices ?? [])];
  for (const notice of pending) {
    try {
      notices[notices.indexOf(notice)] = await addCodexClientSettings(home, notice.server!, credential);
    } catch (error) {
      notices.push({ target: 'codex', kind: 'config-edit-failed', server: notice.server!, message: error instanceof ProtocolError ? error.message : 'Could not edit config.toml.' });
    }
  }
  return { ...result, notices };
}

function notConfigured(client: ClientName, url: string): string {
  return client === 'codex'
    ? `Codex has no server with url = "${url}" in its config.toml; add one ([mcp_servers.<name>] url = "${url}") and log in again to write it there.`
    : `Claude Code has no server with url "${url}"; add it (claude mcp add --transport http <name> ${url}) and log in again to write it there.`;
}

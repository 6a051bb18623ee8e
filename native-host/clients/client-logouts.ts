/**
 * `logout --client codex|claude-code`: removes a server's login from the local clients' stores,
 * for every server each client has configured with exactly that URL (the names and keys the
 * client uses, as for a login: client-logins.ts). And, for the revocation that follows, which of
 * the copies left in place still use the same login as our entry: revoking at the provider ends
 * the whole grant, so it would log those clients out too.
 */
import { ClaudeCodeStore } from '../stores/claude-code/claude-code-store';
import { CodexStore } from '../stores/codex/codex-store';
import type { StoredCredential } from '../stores/credential';
import { clientLabel, describeError } from '../credentials/copy-labels';
import { claudeServerRef, type ClientName } from './client-server';
import { readCodexConfig, type CodexConfig } from './codex-config';
import { discoverClientServers, serversForUrl } from './configured-servers';

export interface ClientLogoutResult {
  removed: Array<{ target: ClientName; server: string; location: string }>;
  /** Labels of the copies left in place that hold the same login as `ours` (same issuer and client). */
  sharing: string[];
  /** Copies that could not be removed or read, and why (files and fields only). */
  problems: string[];
}

export interface ClientLogoutsDeps {
  codex?: CodexStore;
  claude?: ClaudeCodeStore;
  platform?: NodeJS.Platform;
}


export class ClientLogouts {
  readonly #codex: CodexStore;
  readonly #claude: ClaudeCodeStore;
  readonly #platform: NodeJS.Platform;

  constructor(deps: ClientLogoutsDeps = {}) {
    this.#codex = deps.codex ?? new CodexStore();
    this.#claude = deps.claude ?? new ClaudeCodeStore();
    this.#platform = deps.platform ?? process.platform;
  }

  /** Removes `serverUrl`'s login from the `targets` clients; reports the others' copies of `ours`. */
  async remove(serverUrl: string, targets: readonly ClientName[], ours?: Pick<StoredCredential, 'issuer' | 'clientId'>): Promise<ClientLogoutResult> {
    const discovery = await discoverClientServers({ codexHome: this.#codex.home });
    const result: ClientLogoutResult = { removed: [], sharing: [], problems: [...discovery.problems] };
    let codexConfig: CodexConfig | undefined;
    // On Windows Codex keeps its logins in its own encrypted store, which we neither write nor read.
    const servers = serversForUrl(discovery, serverUrl).filter((s) => s.client !== 'codex' || this.#platform !== 'win32');
    for (const server of servers) {
      try {
        if (server.client === 'codex') codexConfig ??= await readCodexConfig(this.#codex.home);
        if (targets.includes(server.client)) {
          const removed = server.client === 'codex' ? await this.#codex.delete(server, codexConfig) : await this.#claude.delete(claudeServerRef(server));
          if (removed) result.removed.push({ target: server.client, server: server.name, location: server.client === 'codex' ? this.#codex.describe() : this.#claude.describe() });
        } else if (ours) {
          const copy = server.client === 'codex' ? (await this.#codex.read(server, codexConfig))?.credential : (await this.#claude.read(claudeServerRef(server)))?.credential;
          if (copy && copy.clientId === ours.clientId && copy.issuer === ours.issuer) result.sharing.push(clientLabel(server));
        }
      } catch (error) {
        result.problems.push(`${clientLabel(server)}: ${describeError(error)}`);
      }
    }
    return result;
  }
}

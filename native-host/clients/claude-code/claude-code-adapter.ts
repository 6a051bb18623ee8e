/**
 * Claude Code behind the client interface: its servers are the URL servers of `mcpServers` in
 * `~/.claude.json` (user and local scope) and a project's `.mcp.json`; its logins live in
 * `mcpOAuth[<key>]` of its secure storage (claude-code-store.ts) under its per-server refresh lock.
 * It needs nothing in its config to refresh (the entry carries the client secret).
 */
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import type { StoredCredential } from '../../stores/credential';
import {
  notice,
  type AdapterOptions,
  type ClientAdapter,
  type ClientDiscovery,
  type ClientEntry,
  type ClientNotice,
  type ConfiguredServer,
  type HeldEntry,
  type Usability,
  type UsabilityContext,
  type WriteContext,
  type WriteOutcome,
} from '../client-adapter';
import { discoverClaudeServers, type ClaudeServerConfig } from './claude-code-config';
import { ClaudeCodeStore } from './claude-code-store';
import { claudeUsability, type ClaudeCredential } from './claude-entry';
import { claudeServerRef } from './claude-server-ref';

type ClaudeServer = ConfiguredServer<ClaudeServerConfig>;

export interface ClaudeCodeAdapterOptions extends AdapterOptions {
  /** Default: a store built from the other options. */
  store?: ClaudeCodeStore;
}

export class ClaudeCodeAdapter implements ClientAdapter<ClaudeServerConfig> {
  readonly id = 'claude-code' as const;
  readonly label = 'Claude Code';
  readonly configHint = 'mcpServers.<name> in ~/.claude.json or a project\'s .mcp.json';
  readonly store: ClaudeCodeStore;
  readonly #env: NodeJS.ProcessEnv;
  readonly #projectDir: string | undefined;

  constructor(options: ClaudeCodeAdapterOptions = {}) {
    this.#env = options.env ?? process.env;
    this.#projectDir = options.projectDir;
    this.store = options.store ?? new ClaudeCodeStore({
      env: this.#env,
      ...(options.platform ? { platform: options.platform } : {}),
      ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
    });
  }

  discover(): Promise<ClientDiscovery> {
    return discoverClaudeServers({ env: this.#env, ...(this.#projectDir !== undefined ? { projectDir: this.#projectDir } : {}) });
  }

  #entry(c: ClaudeCredential): ClientEntry {
    return {
      ...(c.issuer ? { issuer: c.issuer } : {}),
      ...(c.clientId ? { clientId: c.clientId } : {}),
      ...(c.accessToken ? { accessToken: c.accessToken } : {}),
      ...(c.refreshToken ? { refreshToken: c.refreshToken } : {}),
      expiresAt: c.expiresAt,
      store: this.store.usesKeychain ? 'keychain' : 'file',
    };
  }

  async read(server: ClaudeServer): Promise<ClientEntry | undefined> {
    const read = await this.store.read(claudeServerRef(server.config));
    return read ? this.#entry(read.credential) : undefined;
  }

  async write(server: ClaudeServer, credential: StoredCredential, context: WriteContext): Promise<WriteOutcome> {
    const written = await this.store.write(claudeServerRef(server.config), credential, {
      authorizationServerUrl: credential.issuer,
      ...(context.resourceMetadataUrl ? { resourceMetadataUrl: context.resourceMetadataUrl } : {}),
    });
    return { location: written.location, notices: [] };
  }

  async delete(server: ClaudeServer): Promise<string | undefined> {
    return (await this.store.delete(claudeServerRef(server.config))) ? this.store.describe() : undefined;
  }

  async withLock<T>(server: ClaudeServer, fn: (held: HeldEntry) => Promise<T>): Promise<T> {
    return this.store.locked(claudeServerRef(server.config), (session) => fn({
      read: async () => {
        const read = await session.read();
        return read ? this.#entry(read.credential) : undefined;
      },
      async updateTokens(credential) {
        const written = await session.updateTokens({
          accessToken: credential.accessToken,
          ...(credential.refreshToken ? { refreshToken: credential.refreshToken } : {}),
          expiresAt: credential.expiresAt,
        });
        if (!written) throw new ProtocolError(ErrorCode.StoreFailed, 'its entry was removed meanwhile');
        return undefined;
      },
    }));
  }

  usability(server: ClaudeServer, entry: ClientEntry, { now }: UsabilityContext): Usability {
    const usable = claudeUsability({ serverName: server.name, serverUrl: server.url, ...entry }, now);
    return { loggedIn: usable.loggedIn, refreshCapable: usable.refreshCapable, ...(usable.reason ? { reason: usable.reason } : {}) };
  }

  async checkWritable(server: ClaudeServer): Promise<ClientNotice | undefined> {
    try {
      // Reading parses the whole secure-storage value: a damaged or overflowing one refuses writes too.
      await this.store.read(claudeServerRef(server.config));
      return undefined;
    } catch (error) {
      return notice('claude-code', 'store-unwritable', error instanceof ProtocolError ? error.message : `Claude Code's store cannot be checked (${(error as Error)?.name ?? 'error'}).`, server.name);
    }
  }

  notConfiguredHint(url: string): string {
    return `Claude Code has no server with url "${url}"; add it (claude mcp add --transport http <name> ${url}) and log in again to write it there.`;
  }
}

/**
 * The `claude-code` credential target: `mcpOAuth[<key>]` (and the client secret in
 * `mcpOAuthClientConfig[<key>]`) in Claude Code's secure storage — on macOS the Keychain item
 * `Claude Code-credentials`, elsewhere `<secure-storage dir>/.credentials.json` — read-modify-write,
 * every other top-level key and every other server's entry kept as they are.
 *
 * Locks (proper-lockfile, which is what Claude Code uses, so the lock directories are the same):
 * `<dir>/mcp-refresh-<key with non-alphanumerics as _>.lock`, which Claude holds across a refresh,
 * then `<dir>/.storage-write`, which Claude 2.1.197 takes around every change to its secure storage.
 * Same order as Claude, so no deadlock, and never a write in the middle of a Claude refresh.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { readTextIfExists, writeFileAtomic } from '../../stores/atomic-file';
import type { StoredCredential } from '../../stores/credential';
import { isObject, parseJsonObject, type Fields } from '../../stores/entry-fields';
import { keyringGet, keyringSet } from '../../stores/keyring-entry';
import { parseClaudeEntry, toClaudeEntry, type ClaudeCredential, type ClaudeDiscoveryState } from './claude-entry';
import { claudeCredentialsPath, claudeKeychainAccount, claudeKeychainService, claudeSecureStorageDir } from './claude-paths';
import { claudeRefreshLockName, claudeStoreKey, type ClaudeServerKeyFields } from './store-key';

/** A server as Claude Code names it: its `mcpServers.<name>` entry (type, url, headers go into the key). */
export interface ClaudeServerRef extends ClaudeServerKeyFields {
  name: string;
}

export interface ClaudeCodeStoreOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** How long to keep retrying a lock Claude holds, in ms (default ~20 s). */
  lockWaitMs?: number;
}

export interface ClaudeReadResult {
  credential: ClaudeCredential;
  key: string;
}

/** The token fields a refresh changes; every other field of the entry stays as Claude wrote it. */
export interface ClaudeTokenUpdate {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number | null;
}

/** Reads and writes of one server's entry while Claude's refresh lock for it is held (`ClaudeCodeStore.locked`). */
export interface ClaudeSession {
  read(): Promise<ClaudeReadResult | undefined>;
  /**
   * Replaces the tokens of the existing entry, as Claude's own refresh does. False (and nothing
   * written) when the entry is gone: a removed login is not brought back by a refresh.
   */
  updateTokens(tokens: ClaudeTokenUpdate): Promise<boolean>;
}

export class ClaudeCodeStore {
  readonly name = 'claude-code' as const;
  readonly #env: NodeJS.ProcessEnv;
  readonly #platform: NodeJS.Platform;
  readonly #lockWaitMs: number;

  constructor(options: ClaudeCodeStoreOptions = {}) {
    this.#env = options.env ?? process.env;
    this.#platform = options.platform ?? process.platform;
    this.#lockWaitMs = options.lockWaitMs ?? 20_000;
  }

  get dir(): string {
    return claudeSecureStorageDir(this.#env);
  }

  get usesKeychain(): boolean {
    return this.#platform === 'darwin';
  }

  describe(): string {
    return this.usesKeychain
      ? `Claude Code (macOS Keychain, service "${claudeKeychainService(this.#env)}")`
      : `Claude Code (${claudeCredentialsPath(this.#env)})`;
  }

  async read(server: ClaudeServerRef): Promise<ClaudeReadResult | undefined> {
    return this.#readEntry(claudeStoreKey(server.name, server));
  }

  /**
   * Runs `fn` holding Claude's refresh lock for this server, the one Claude holds across its own
   * refresh: what `fn` reads cannot change under it, and a Claude refresh waits for `fn` and then
   * starts from what `fn` wrote.
   */
  async locked<T>(server: ClaudeServerRef, fn: (session: ClaudeSession) => Promise<T>): Promise<T> {
    const key = claudeStoreKey(server.name, server);
    return this.#withRefreshLock(key, () => fn({
      read: () => this.#readEntry(key),
      updateTokens: async (tokens) => {
        let updated = false;
        await this.#mutateHeld((doc) => {
          const entries = doc.mcpOAuth;
          if (!isObject(entries) || !isObject(entries[key])) return false;
          const entry: Fields = { ...entries[key], accessToken: tokens.accessToken };
          if (tokens.refreshToken) entry.refreshToken = tokens.refreshToken;
          if (tokens.expiresAt !== null) entry.expiresAt = tokens.expiresAt;
          else delete entry.expiresAt;
          entries[key] = entry;
          updated = true;
          return true;
        });
        return updated;
      },
    }));
  }

  async #readEntry(key: string): Promise<ClaudeReadResult | undefined> {
    const doc = await this.#readDocument();
    const entries = doc.mcpOAuth;
    if (entries === undefined) return undefined;
    if (!isObject(entries)) throw this.#damaged('"mcpOAuth" must be an object');
    if (entries[key] === undefined) return undefined;
    return { key, credential: parseClaudeEntry(entries[key], `${this.#where()}, "mcpOAuth"."${key}"`) };
  }

  async write(server: ClaudeServerRef, credential: StoredCredential, discovery: ClaudeDiscoveryState): Promise<{ location: string }> {
    const key = claudeStoreKey(server.name, server);
    const entry = toClaudeEntry(server, credential, discovery);
    await this.#mutate(key, (doc) => {
      const entries = this.#section(doc, 'mcpOAuth');
      entries[key] = entry;
      if (credential.clientSecret) {
        const configs = this.#section(doc, 'mcpOAuthClientConfig');
        const existing = isObject(configs[key]) ? configs[key] : {};
        configs[key] = { ...existing, clientSecret: credential.clientSecret };
      }
    });
    return { location: `${this.describe()}, "mcpOAuth"."${key}"` };
  }

  async delete(server: ClaudeServerRef): Promise<boolean> {
    const key = claudeStoreKey(server.name, server);
    let removed = false;
    await this.#mutate(key, (doc) => {
      if (isObject(doc.mcpOAuth) && doc.mcpOAuth[key] !== undefined) {
        delete doc.mcpOAuth[key];
        removed = true;
      }
    });
    return removed;
  }

  #where(): string {
    return this.usesKeychain
      ? `Claude Code keychain item "${claudeKeychainService(this.#env)}" (account "${claudeKeychainAccount(this.#env)}")`
      : `Claude Code credentials file ${claudeCredentialsPath(this.#env)}`;
  }

  #damaged(detail: string): ProtocolError {
    return new ProtocolError(ErrorCode.StoreFailed, `${this.#where()}: ${detail}; fix or remove it (it holds Claude Code's other logins too).`);
  }

  #section(doc: Fields, name: string): Fields {
    if (doc[name] === undefined) doc[name] = {};
    const section = doc[name];
    if (!isObject(section)) throw this.#damaged(`"${name}" must be an object`);
    return section;
  }

  async #readDocument(): Promise<Fields> {
    const text = this.usesKeychain
      ? await keyringGet({ service: claudeKeychainService(this.#env), account: claudeKeychainAccount(this.#env) })
      : await readTextIfExists(claudeCredentialsPath(this.#env));
    if (text === undefined || text.trim() === '') return {};
    const doc = parseJsonObject(text, this.#where());
    if (doc.keychainOverflow !== undefined) {
      // Claude splits a large value into encrypted "-overflow" items; rewriting only this part would lose them.
      throw new ProtocolError(
        ErrorCode.StoreFailed,
        `${this.#where()} is split into overflow items ("keychainOverflow"), which mcp-login-bridge does not write. ` +
          'Log in with `claude mcp login` for this server, or remove unused logins from Claude Code so its value fits in one item.',
      );
    }
    return doc;
  }

  async #writeDocument(doc: Fields): Promise<void> {
    const text = JSON.stringify(doc);
    if (this.usesKeychain) {
      await keyringSet({ service: claudeKeychainService(this.#env), account: claudeKeychainAccount(this.#env) }, text);
    } else {
      await writeFileAtomic(claudeCredentialsPath(this.#env), text);
    }
  }

  /** Read-modify-write under Claude's refresh lock for `key`, then its storage write lock. */
  async #mutate(key: string, change: (doc: Fields) => void): Promise<void> {
    await this.#withRefreshLock(key, () => this.#mutateHeld((doc) => (change(doc), true)));
  }

  async #withRefreshLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const dir = this.dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const releaseRefresh = await this.#lock(join(dir, claudeRefreshLockName(key)), 10_000);
    try {
      return await fn();
    } finally {
      await releaseRefresh().catch(() => {});
    }
  }

  /** Caller holds the refresh lock; `change` returns false when there is nothing to write. */
  async #mutateHeld(change: (doc: Fields) => boolean): Promise<void> {
    const releaseWrite = await this.#lock(join(this.dir, '.storage-write'), 15_000);
    try {
      const doc = await this.#readDocument();
      if (change(doc)) await this.#writeDocument(doc);
    } finally {
      await releaseWrite().catch(() => {});
    }
  }

  async #lock(path: string, stale: number): Promise<() => Promise<void>> {
    const retries = Math.max(1, Math.ceil(this.#lockWaitMs / 500));
    try {
      return await lockfile.lock(path, {
        realpath: false,
        stale,
        retries: { retries, minTimeout: 100, maxTimeout: 500, factor: 1.5 },
        // The default throws from a timer; a lost lock only matters for the write in progress,
        // and the atomic rename keeps the file whole either way.
        onCompromised: () => {},
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ProtocolError(
        ErrorCode.StoreFailed,
        code === 'ELOCKED'
          ? `Claude Code (or another mcp-login-bridge) held ${path}.lock for more than ${Math.round(this.#lockWaitMs / 1000)} s; retry when it is done.`
          : `Cannot lock ${path}.lock (${code ?? 'error'}).`,
      );
    }
  }
}

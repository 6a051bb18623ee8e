/**
 * The `codex` credential target: writes a login where Codex CLI reads it first, in Codex's own
 * format, under Codex's own locks (DESIGN.md §4, INTEROP.md "Codex CLI").
 *
 * Which store — `mcp_oauth_credentials_store` in `$CODEX_HOME/config.toml`:
 * - "keyring": the OS keychain, service "Codex MCP Credentials", account = store key.
 * - "file": `$CODEX_HOME/.credentials.json`, one JSON object keyed by store key.
 * - "auto" (default): the keychain when it can be reached, else the file. Codex reads the keychain
 *   first and any keychain entry hides the file entry, and after a keychain save it deletes the file
 *   entry; so do we (when that fails, the keychain write still stands and the result carries a
 *   warning).
 * - The encrypted secrets store (`[features] secret_auth_storage`, default on Windows) is not
 *   written: we refuse and say what to set.
 *
 * Locks (flock, as Codex takes them): `$CODEX_HOME/mcp-oauth-locks/<sha256 hex of store key>.lock`
 * for any change to a server's login (Codex holds it across a whole refresh: re-read, token request,
 * write), then `mcp-oauth-locks/file-store.lock` around a read-modify-write of the file. Same order
 * as Codex, so no deadlock; and a write of ours never lands in the middle of a Codex refresh, which
 * would otherwise overwrite it with the refresh of the older login.
 */
import { join } from 'node:path';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { codexHome, readCodexConfig, usesEncryptedSecrets, type CodexConfig, type CodexCredentialsStore } from './codex-config';
import { readTextIfExists, writeFileAtomic } from '../../stores/atomic-file';
import type { StoredCredential } from '../../stores/credential';
import { isObject, parseJsonObject, type Fields } from '../../stores/entry-fields';
import { withFileLocks, type LockOptions } from '../../stores/file-lock';
import { describeKeychain, keyringDelete, keyringGet, keyringSet, type KeyringItemId } from '../../stores/keyring-entry';
import { codexCredentialFrom, parseFileEntry, parseKeyringSecret, toFileEntry, toKeyringSecret, type CodexCredential } from './codex-entry';
import { codexStoreKey, sha256Hex } from './store-key';

export const CODEX_KEYRING_SERVICE = 'Codex MCP Credentials';
export const CODEX_CREDENTIALS_FILE = '.credentials.json';
const LOCK_DIR = 'mcp-oauth-locks';

/** A server as Codex names it: the `[mcp_servers.<name>]` key and its `url`, verbatim. */
export interface CodexServerRef {
  name: string;
  url: string;
}

export type CodexStoreKind = 'keyring' | 'file';

export interface CodexReadResult {
  credential: CodexCredential;
  store: CodexStoreKind;
  key: string;
}

export interface CodexWriteResult {
  store: CodexStoreKind;
  /** Where it went, for messages; never a secret. */
  location: string;
  /**
   * The login was written, but something around it failed and the user should know: in "auto" mode,
   * an old file entry that could not be removed after the keychain write. Never a secret.
   */
  warning?: string;
}

/** Reads and writes of one server's login while its Codex lock is held (`CodexStore.locked`). */
export interface CodexSession {
  read(): Promise<CodexReadResult | undefined>;
  /** Writes Codex's form as is (the caller decides every field), where Codex reads it first. */
  write(credential: CodexCredential): Promise<CodexWriteResult>;
}

export interface CodexStoreOptions {
  /** Default: `$CODEX_HOME`, else `~/.codex`. */
  home?: string;
  platform?: NodeJS.Platform;
  lock?: LockOptions;
  now?: () => number;
}

export class CodexStore {
  readonly name = 'codex' as const;
  readonly home: string;
  readonly #platform: NodeJS.Platform;
  readonly #lock: LockOptions;
  readonly #now: () => number;

  constructor(options: CodexStoreOptions = {}) {
    this.home = options.home ?? codexHome();
    this.#platform = options.platform ?? process.platform;
    this.#lock = options.lock ?? {};
    this.#now = options.now ?? Date.now;
  }

  get credentialsPath(): string {
    return join(this.home, CODEX_CREDENTIALS_FILE);
  }

  /** The two lock files, in the order they are taken. */
  lockPaths(key: string): { server: string; fileStore: string } {
    return { server: join(this.home, LOCK_DIR, `${sha256Hex(key)}.lock`), fileStore: join(this.home, LOCK_DIR, 'file-store.lock') };
  }

  describe(): string {
    return `Codex (${this.home})`;
  }

  /** The configured store, or a clear refusal when Codex uses one we cannot write. */
  async storeMode(config?: CodexConfig): Promise<CodexCredentialsStore> {
    const cfg = config ?? (await readCodexConfig(this.home));
    if (usesEncryptedSecrets(cfg, this.#platform)) {
      throw new ProtocolError(
        ErrorCode.StoreFailed,
        `Codex keeps MCP logins in its encrypted secrets file (${join(this.home, 'secrets', 'mcp_oauth.age')}), which mcp-login-bridge cannot write. ` +
          `To let it write Codex's logins, add to ${cfg.path}: mcp_oauth_credentials_store = "keyring" (top level) and, under [features], secret_auth_storage = false; then log in again.`,
      );
    }
    return cfg.credentialsStore;
  }

  async read(server: CodexServerRef, config?: CodexConfig): Promise<CodexReadResult | undefined> {
    return this.#readHeld(server, codexStoreKey(server.name, server.url), await this.storeMode(config));
  }

  async write(server: CodexServerRef, credential: StoredCredential, config?: CodexConfig): Promise<CodexWriteResult> {
    return this.locked(server, (session) => session.write(codexCredentialFrom(server, credential)), config);
  }

  /**
   * Runs `fn` holding Codex's per-server lock, the one Codex holds across a whole refresh of this
   * server's login (re-read, token request, write). Whatever `fn` reads through the session cannot
   * change under it, and a Codex refresh waits until `fn` is done and then starts from what `fn`
   * wrote: this is what lets `token` read Codex's copy, refresh, and write it back without Codex
   * refreshing the same refresh token in between.
   */
  async locked<T>(server: CodexServerRef, fn: (session: CodexSession) => Promise<T>, config?: CodexConfig): Promise<T> {
    const mode = await this.storeMode(config);
    const key = codexStoreKey(server.name, server.url);
    return withFileLocks([this.lockPaths(key).server], () => fn({
      read: () => this.#readHeld(server, key, mode),
      write: (codex) => this.#writeHeld(server, key, mode, codex),
    }), this.#lock);
  }

  async #readHeld(server: CodexServerRef, key: string, mode: CodexCredentialsStore): Promise<CodexReadResult | undefined> {
    if (mode !== 'file') {
      try {
        const fromKeyring = await this.#readKeyring(server, key);
        if (fromKeyring || mode === 'keyring') return fromKeyring;
      } catch (error) {
        if (mode === 'keyring' || !isUnavailable(error)) throw error;
      }
    }
    return this.#readFile(server, key);
  }

  /** Caller holds the server lock. */
  async #writeHeld(server: CodexServerRef, key: string, mode: CodexCredentialsStore, codex: CodexCredential): Promise<CodexWriteResult> {
    if (mode !== 'file') {
      let written = false;
      try {
        await keyringSet(this.#keyringId(key), toKeyringSecret(codex, this.#now()));
        written = true;
      } catch (error) {
        if (mode === 'keyring' || !isUnavailable(error)) throw error;
        // auto without a reachable keychain: Codex falls back to the file, and so do we.
      }
      if (written) {
        const result: CodexWriteResult = { store: 'keyring', location: `${describeKeychain()}, service "${CODEX_KEYRING_SERVICE}", account "${key}"` };
        // Codex deletes the file entry after a keychain save; a leftover would come back into
        // force as soon as the keychain entry is removed. The login is in Codex's keychain entry
        // whatever happens here, so a failure is a warning, not a failed write.
        if (mode === 'auto') {
          const warning = await this.#deleteFileEntryHeld(server, key).then(
            () => undefined,
            (error: unknown) => this.#staleFileWarning(server, error),
          );
          if (warning) result.warning = warning;
        }
        return result;
      }
    }
    await this.#writeFileEntryHeld(server, key, toFileEntry(codex));
    return { store: 'file', location: `${this.credentialsPath}, key "${key}"` };
  }

  /**
   * In "auto" mode Codex reads the keychain first and any keychain entry hides the file entry
   * (INTEROP.md), so the new login is in force; an old file entry matters only once the keychain
   * entry is gone or the keychain cannot be reached, when Codex falls back to the file.
   */
  #staleFileWarning(server: CodexServerRef, error: unknown): string {
    // Our own errors name files and fields only; anything else is reduced to its class.
    const why = error instanceof ProtocolError ? error.message : `${(error as Error)?.name ?? 'error'}`;
    return (
      `Codex (${server.name}): written to the keychain, which Codex reads first and which it uses now; but an old entry for ${server.name} ` +
      `in ${this.credentialsPath} could not be checked or removed (${why}). Codex would fall back to that file entry, possibly a stale login, ` +
      `if its keychain entry were removed or the keychain could not be reached: fix or remove the ${server.name} entry there.`
    );
  }

  /** Removes the login from both stores (whatever the mode, so nothing stale is left behind). */
  async delete(server: CodexServerRef, config?: CodexConfig): Promise<boolean> {
    const mode = await this.storeMode(config);
    const key = codexStoreKey(server.name, server.url);
    let removed = false;
    if (mode !== 'file') {
      try {
        removed = await withFileLocks([this.lockPaths(key).server], () => keyringDelete(this.#keyringId(key)), this.#lock);
      } catch (error) {
        if (mode === 'keyring' || !isUnavailable(error)) throw error;
      }
    }
    const locks = this.lockPaths(key);
    return (await withFileLocks([locks.server], () => this.#deleteFileEntryHeld(server, key), this.#lock)) || removed;
  }

  #keyringId(key: string): KeyringItemId {
    // On Linux, Codex's items carry target=default; matching it updates Codex's own item in place
    // instead of adding a second one ("matched by 2 credentials").
    return { service: CODEX_KEYRING_SERVICE, account: key, ...(this.#platform === 'linux' ? { target: 'default' } : {}) };
  }

  async #readKeyring(server: CodexServerRef, key: string): Promise<CodexReadResult | undefined> {
    const secret = await keyringGet(this.#keyringId(key));
    if (secret === undefined) return undefined;
    const where = `Codex keychain entry "${key}" (${describeKeychain()}, service "${CODEX_KEYRING_SERVICE}")`;
    const credential = parseKeyringSecret(parseJsonObject(secret, where), where);
    return { credential, store: 'keyring', key };
  }

  async #readDocument(): Promise<Fields> {
    const text = await readTextIfExists(this.credentialsPath);
    return text === undefined ? {} : parseJsonObject(text, `Codex credentials file ${this.credentialsPath}`);
  }

  /** Codex takes the first entry in key order that names this server and URL, whatever its key. */
  #findEntryKey(doc: Fields, server: CodexServerRef): string | undefined {
    return Object.keys(doc).find((k) => {
      const v = doc[k];
      return isObject(v) && v.server_name === server.name && v.server_url === server.url;
    });
  }

  async #readFile(server: CodexServerRef, key: string): Promise<CodexReadResult | undefined> {
    const doc = await this.#readDocument();
    const found = this.#findEntryKey(doc, server);
    if (found === undefined) return undefined;
    const where = `Codex credentials file ${this.credentialsPath}, entry "${found}"`;
    return { credential: parseFileEntry(doc[found], where), store: 'file', key };
  }

  /** Caller holds the server lock; the file-store lock is taken here, after it, as Codex does. */
  async #writeFileEntryHeld(server: CodexServerRef, key: string, entry: Fields): Promise<void> {
    await withFileLocks([this.lockPaths(key).fileStore], async () => {
      const doc = await this.#readDocument();
      // Entries for the same server under another key would be found first by Codex; drop them.
      for (let other = this.#findEntryKey(doc, server); other !== undefined && other !== key; other = this.#findEntryKey(doc, server)) {
        delete doc[other];
      }
      doc[key] = entry;
      await writeFileAtomic(this.credentialsPath, JSON.stringify(doc));
    }, this.#lock);
  }

  /** Caller holds the server lock. */
  async #deleteFileEntryHeld(server: CodexServerRef, key: string): Promise<boolean> {
    return withFileLocks([this.lockPaths(key).fileStore], async () => {
      const doc = await this.#readDocument();
      let removed = false;
      for (let found = this.#findEntryKey(doc, server); found !== undefined; found = this.#findEntryKey(doc, server)) {
        delete doc[found];
        removed = true;
      }
      if (key in doc) {
        delete doc[key];
        removed = true;
      }
      if (removed) await writeFileAtomic(this.credentialsPath, JSON.stringify(doc));
      return removed;
    }, this.#lock);
  }
}

function isUnavailable(error: unknown): boolean {
  return error instanceof ProtocolError && error.code === ErrorCode.KeychainUnavailable;
}

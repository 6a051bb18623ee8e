/**
 * Where Gemini CLI keeps a server's MCP login, in each mode a user can be in (gemini-cli 0.61.0,
 * `MCPOAuthTokenStorage` in `oauth-token-storage.js`), decided from the environment the way Gemini
 * decides it:
 * - default: the JSON array file `mcp-oauth-tokens.json` (gemini-token-file.ts);
 * - `GEMINI_FORCE_ENCRYPTED_FILE_STORAGE=true` and `GEMINI_FORCE_FILE_STORAGE=true`: its encrypted
 *   file keychain `gemini-credentials.json` (gemini-encrypted-file.ts);
 * - `GEMINI_FORCE_ENCRYPTED_FILE_STORAGE=true` alone: the OS keychain through keytar (service
 *   `gemini-cli-oauth`), or the encrypted file when keytar's test write fails in Gemini's process.
 *   Which of the two Gemini ends up with is decided at its start-up, and keytar's Linux items carry
 *   attributes (`service`, `account`) our keyring library does not write; so this mode is reported,
 *   not guessed: writing to the wrong one would leave Gemini with no login and no word why.
 *
 * The environment is this process's: a host started by a browser may not see variables set in a
 * shell profile (status says which store it looked at).
 */
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import type { StoredCredential } from '../../stores/credential';
import type { Fields } from '../../stores/entry-fields';
import { GeminiEncryptedFile, geminiAccountName, GEMINI_KEYCHAIN_SERVICE } from './gemini-encrypted-file';
import { geminiExpired, parseGeminiEntry, toGeminiEntry, withNewTokens, type GeminiCredential } from './gemini-entry';
import { geminiEncryptedFilePath, geminiTokenFilePath } from './gemini-paths';
import { GeminiTokenFile } from './gemini-token-file';

export type GeminiStoreMode = 'file' | 'encrypted-file' | 'keychain';

export function geminiStoreMode(env: NodeJS.ProcessEnv = process.env): GeminiStoreMode {
  if (env.GEMINI_FORCE_ENCRYPTED_FILE_STORAGE !== 'true') return 'file';
  return env.GEMINI_FORCE_FILE_STORAGE === 'true' ? 'encrypted-file' : 'keychain';
}

export interface GeminiStoreOptions {
  env?: NodeJS.ProcessEnv;
  lockWaitMs?: number;
  platform?: NodeJS.Platform;
  /** For tests of the encrypted file: the machine facts its key is derived from. */
  host?: string;
  user?: string;
}

/** What was read, and the raw form a conditional update compares against. */
export interface GeminiRead {
  credential: GeminiCredential;
  raw: Fields;
}

export interface TokenUpdate {
  accessToken: string;
  tokenType?: string;
  refreshToken?: string;
  expiresAt: number | null;
}

export class GeminiStore {
  readonly mode: GeminiStoreMode;
  readonly #file?: GeminiTokenFile;
  readonly #encrypted?: GeminiEncryptedFile;

  constructor(options: GeminiStoreOptions = {}) {
    const env = options.env ?? process.env;
    this.mode = geminiStoreMode(env);
    const common = { ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}), ...(options.platform ? { platform: options.platform } : {}) };
    if (this.mode === 'file') this.#file = new GeminiTokenFile(geminiTokenFilePath(env), common);
    if (this.mode === 'encrypted-file') {
      this.#encrypted = new GeminiEncryptedFile(geminiEncryptedFilePath(env), { ...common, ...(options.host ? { host: options.host } : {}), ...(options.user ? { user: options.user } : {}) });
    }
  }

  /** Where entries live, for messages and `stored` results. */
  describe(): string {
    if (this.#file) return this.#file.path;
    if (this.#encrypted) return `${this.#encrypted.path} (encrypted)`;
    return `the OS keychain (service ${GEMINI_KEYCHAIN_SERVICE})`;
  }

  #unsupported(serverName: string): never {
    throw new ProtocolError(
      ErrorCode.StoreFailed,
      `Gemini CLI is set to keep MCP logins in the OS keychain (GEMINI_FORCE_ENCRYPTED_FILE_STORAGE=true), in keytar's format, which mcp-login-bridge neither reads nor writes; ` +
        `nothing was written for ${serverName}. Log in from Gemini (/mcp auth ${serverName}), or also set GEMINI_FORCE_FILE_STORAGE=true for Gemini and mcp-login-bridge ` +
        `(then both use Gemini's encrypted file), or unset GEMINI_FORCE_ENCRYPTED_FILE_STORAGE (its default token file).`,
    );
  }

  async read(serverName: string): Promise<GeminiRead | undefined> {
    if (this.#file) {
      const found = await this.#file.read(serverName);
      return found ? { credential: found.credential, raw: found.entry } : undefined;
    }
    if (!this.#encrypted) this.#unsupported(serverName);
    const account = geminiAccountName(serverName);
    const text = await this.#encrypted.get(account);
    if (text === undefined) return undefined;
    const where = `${this.describe()}, account "${account}"`;
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new ProtocolError(ErrorCode.StoreFailed, `${where} is not valid JSON. Nothing was written.`);
    }
    const credential = parseGeminiEntry(raw, where);
    // keychain-token-storage.js `getCredentials`: an expired entry without a refresh token is not returned.
    if (geminiExpired(credential, Date.now()) && !credential.refreshToken) return undefined;
    return { credential, raw: raw as Fields };
  }

  /** A fresh login for `server`, replacing whatever Gemini had for that name. */
  async write(server: { name: string; url: string }, credential: StoredCredential, tokenUrl: string, now: number): Promise<string> {
    const entry = toGeminiEntry(server, credential, tokenUrl, now);
    if (this.#file) {
      await this.#file.write(entry as Fields & { serverName: string });
      return this.describe();
    }
    if (!this.#encrypted) this.#unsupported(server.name);
    await this.#encrypted.set(geminiAccountName(server.name), JSON.stringify(entry));
    return this.describe();
  }

  /** New tokens into the entry read as `read.raw`, unless Gemini changed it since. */
  async updateTokens(serverName: string, read: GeminiRead, tokens: TokenUpdate, now: number): Promise<boolean> {
    if (this.#file) return this.#file.replaceIfUnchanged(serverName, read.raw, (entry) => withNewTokens(entry, tokens, now));
    if (!this.#encrypted) this.#unsupported(serverName);
    const account = geminiAccountName(serverName);
    return this.#encrypted.replaceIfUnchanged(account, JSON.stringify(read.raw), JSON.stringify(withNewTokens(read.raw, tokens, now)));
  }

  async delete(serverName: string): Promise<boolean> {
    if (this.#file) return this.#file.delete(serverName);
    if (!this.#encrypted) this.#unsupported(serverName);
    return this.#encrypted.delete(geminiAccountName(serverName));
  }
}

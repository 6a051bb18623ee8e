/**
 * Gemini CLI's encrypted file keychain (`FileKeychain`, gemini-cli 0.61.0 bundle,
 * `packages/core/dist/src/services/fileKeychain.js`), where its MCP logins live when it is told to
 * keep them in "secure storage" (`GEMINI_FORCE_ENCRYPTED_FILE_STORAGE=true`) and either the OS
 * keychain is unusable or `GEMINI_FORCE_FILE_STORAGE=true`:
 * - file `<home>/.gemini/gemini-credentials.json`, mode 0600;
 * - content `<iv hex>:<auth tag hex>:<ciphertext hex>`, AES-256-GCM, 12-byte IV, 16-byte tag, over
 *   `JSON.stringify({[service]: {[account]: password}}, null, 2)`;
 * - key `scrypt("gemini-cli-oauth", "<hostname>-<username>-gemini-cli", 32)` (Node's defaults);
 * - MCP logins: service `gemini-cli-oauth`, account = the server name with every character outside
 *   `[A-Za-z0-9-_.]` replaced by `_`, password = the entry as compact JSON (`keychain-token-storage.js`).
 *
 * The key is derived from public facts, so this is obfuscation, not protection: it is the format
 * Gemini reads, nothing more. Gemini takes no lock here either and rewrites the whole file; we
 * replace it atomically and keep every other service and account. A file that does not decrypt is
 * reported and never rewritten (Gemini says "Corrupted credentials file" and stops, too).
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { readTextIfExists, writeFileAtomic } from '../../stores/atomic-file';
import { isObject } from '../../stores/entry-fields';
import { withFileLocks } from '../../stores/file-lock';

export const GEMINI_KEYCHAIN_SERVICE = 'gemini-cli-oauth';

/** `sanitizeServerName` in base-token-storage.js. */
export function geminiAccountName(serverName: string): string {
  return serverName.replace(/[^a-zA-Z0-9-_.]/g, '_');
}

type Vault = Record<string, Record<string, string>>;

export interface GeminiEncryptedFileOptions {
  /** For tests: the machine facts the key is derived from. */
  host?: string;
  user?: string;
  lockWaitMs?: number;
  platform?: NodeJS.Platform;
}

export class GeminiEncryptedFile {
  readonly path: string;
  readonly #key: Buffer;
  readonly #lockWaitMs: number;
  readonly #platform: NodeJS.Platform;

  constructor(path: string, options: GeminiEncryptedFileOptions = {}) {
    this.path = path;
    const salt = `${options.host ?? hostname()}-${options.user ?? userInfo().username}-gemini-cli`;
    this.#key = scryptSync('gemini-cli-oauth', salt, 32);
    this.#lockWaitMs = options.lockWaitMs ?? 10_000;
    this.#platform = options.platform ?? process.platform;
  }

  get #where(): string {
    return `Gemini CLI encrypted credentials file ${this.path}`;
  }

  encrypt(text: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: 16 });
    const data = cipher.update(text, 'utf8', 'hex') + cipher.final('hex');
    return `${iv.toString('hex')}:${cipher.getAuthTag().toString('hex')}:${data}`;
  }

  decrypt(content: string): string {
    const parts = content.split(':');
    if (parts.length !== 3) throw new Error('format');
    const iv = Buffer.from(parts[0]!, 'hex');
    const tag = Buffer.from(parts[1]!, 'hex');
    if ((iv.length !== 12 && iv.length !== 16) || tag.length !== 16) throw new Error('format');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: 16 });
    decipher.setAuthTag(tag);
    return decipher.update(parts[2]!, 'hex', 'utf8') + decipher.final('utf8');
  }

  async #load(): Promise<Vault> {
    const content = await readTextIfExists(this.path);
    if (content === undefined) return {};
    let vault: unknown;
    try {
      vault = JSON.parse(this.decrypt(content));
    } catch {
      // Another machine's or user's file (the key covers host and user name), or a damaged one.
      throw new ProtocolError(ErrorCode.StoreFailed, `${this.#where} cannot be decrypted on this machine as this user (or is damaged); Gemini CLI cannot read it either. Nothing was written.`);
    }
    if (!isObject(vault) || !Object.values(vault).every((s) => isObject(s) && Object.values(s).every((v) => typeof v === 'string'))) {
      throw new ProtocolError(ErrorCode.StoreFailed, `${this.#where} does not hold Gemini's {service: {account: secret}} layout. Nothing was written.`);
    }
    return vault as Vault;
  }

  async get(account: string, service = GEMINI_KEYCHAIN_SERVICE): Promise<string | undefined> {
    return (await this.#load())[service]?.[account];
  }

  async #update(fn: (vault: Vault) => boolean): Promise<boolean> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const run = async () => {
      const vault = await this.#load();
      if (!fn(vault)) return false;
      if (Object.keys(vault).length === 0) await rm(this.path, { force: true });
      else await writeFileAtomic(this.path, this.encrypt(JSON.stringify(vault, null, 2)), 0o600);
      return true;
    };
    if (this.#platform === 'win32') return run();
    return withFileLocks([`${this.path}.lock`], run, { timeoutMs: this.#lockWaitMs });
  }

  async set(account: string, password: string, service = GEMINI_KEYCHAIN_SERVICE): Promise<void> {
    await this.#update((vault) => {
      vault[service] = { ...(vault[service] ?? {}), [account]: password };
      return true;
    });
  }

  /** Sets `account` only if it still holds `expected`. */
  async replaceIfUnchanged(account: string, expected: string, password: string, service = GEMINI_KEYCHAIN_SERVICE): Promise<boolean> {
    return this.#update((vault) => {
      if (vault[service]?.[account] !== expected) return false;
      vault[service]![account] = password;
      return true;
    });
  }

  async delete(account: string, service = GEMINI_KEYCHAIN_SERVICE): Promise<boolean> {
    return this.#update((vault) => {
      const accounts = vault[service];
      if (!accounts || !(account in accounts)) return false;
      delete accounts[account];
      if (Object.keys(accounts).length === 0) delete vault[service];
      return true;
    });
  }
}

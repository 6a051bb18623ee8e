/**
 * Gemini CLI's default MCP token store: `mcp-oauth-tokens.json` in its runtime dir, a JSON array of
 * entries (see gemini-entry.ts), written by Gemini as `JSON.stringify(array, null, 2)` with mode 0600
 * (`oauth-token-storage.js`). Gemini reads it into a map by `serverName` (a later duplicate wins),
 * takes no lock, and rewrites the whole file on every save; when the last entry goes it deletes the file.
 *
 * What we add: every other element is kept exactly as it was (unknown fields included), the file is
 * replaced atomically (Gemini's own plain rewrite could otherwise be read half-written), and our own
 * writers are serialized by a flock on `mcp-oauth-tokens.json.lock` next to it (Gemini ignores that
 * file: there is no lock of Gemini's to take). A file that is not a JSON array is reported and never
 * rewritten: Gemini itself would silently start over from an empty list and lose the other logins.
 */
import { rm } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { readTextIfExists, writeFileAtomic } from '../../stores/atomic-file';
import { isObject, jsonType, type Fields } from '../../stores/entry-fields';
import { withFileLocks } from '../../stores/file-lock';
import { parseGeminiEntry, type GeminiCredential } from './gemini-entry';

export interface GeminiTokenFileOptions {
  /** How long to wait for another writer of ours. */
  lockWaitMs?: number;
  platform?: NodeJS.Platform;
}

export class GeminiTokenFile {
  readonly path: string;
  readonly #lockWaitMs: number;
  readonly #platform: NodeJS.Platform;

  constructor(path: string, options: GeminiTokenFileOptions = {}) {
    this.path = path;
    this.#lockWaitMs = options.lockWaitMs ?? 10_000;
    this.#platform = options.platform ?? process.platform;
  }

  get #where(): string {
    return `Gemini CLI token file ${this.path}`;
  }

  /** The elements as stored, or [] when there is no file. A malformed file throws and is left alone. */
  async #elements(): Promise<unknown[]> {
    const text = await readTextIfExists(this.path);
    if (text === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ProtocolError(ErrorCode.StoreFailed, `${this.#where} is not valid JSON; fix or remove it (it may hold other servers' logins: look before deleting). Nothing was written.`);
    }
    if (!Array.isArray(parsed)) {
      throw new ProtocolError(ErrorCode.StoreFailed, `${this.#where} must hold a JSON array, got ${jsonType(parsed)}; fix or remove it. Nothing was written.`);
    }
    return parsed;
  }

  static #isFor(element: unknown, serverName: string): element is Fields {
    return isObject(element) && element.serverName === serverName;
  }

  /** The entry Gemini would use for `serverName` (the last one of that name), checked field by field. */
  async read(serverName: string): Promise<{ credential: GeminiCredential; entry: Fields } | undefined> {
    const elements = await this.#elements();
    const found = elements.findLast((e) => GeminiTokenFile.#isFor(e, serverName)) as Fields | undefined;
    if (!found) return undefined;
    return { credential: parseGeminiEntry(found, `${this.#where}, server "${serverName}"`), entry: found };
  }

  /**
   * Runs `fn` with our writers' lock held and the file's current elements; what `fn` returns is
   * written back (undefined: nothing written). Gemini takes no lock, so this excludes only us.
   */
  async #update(fn: (elements: unknown[]) => unknown[] | undefined): Promise<boolean> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const run = async () => {
      const next = fn(await this.#elements());
      if (!next) return false;
      if (next.length === 0) await rm(this.path, { force: true });
      else await writeFileAtomic(this.path, JSON.stringify(next, null, 2), 0o600);
      return true;
    };
    // flock(2) helpers exist only on Unix-likes; on Windows the write is still atomic.
    if (this.#platform === 'win32') return run();
    return withFileLocks([`${this.path}.lock`], run, { timeoutMs: this.#lockWaitMs });
  }

  /** Puts `entry` in place of the server's entries (at the first one's position), keeping every other element. */
  async write(entry: Fields & { serverName: string }): Promise<void> {
    await this.#update((elements) => {
      const at = elements.findIndex((e) => GeminiTokenFile.#isFor(e, entry.serverName));
      const others = elements.filter((e) => !GeminiTokenFile.#isFor(e, entry.serverName));
      if (at === -1) return [...others, entry];
      const before = elements.slice(0, at).filter((e) => !GeminiTokenFile.#isFor(e, entry.serverName)).length;
      return [...others.slice(0, before), entry, ...others.slice(before)];
    });
  }

  /**
   * Replaces the server's entry with `change(entry)` only if it still is `expected` (compared as
   * JSON): a rotation sync must not overwrite a refresh Gemini wrote since we read.
   */
  async replaceIfUnchanged(serverName: string, expected: Fields, change: (entry: Fields) => Fields): Promise<boolean> {
    let replaced = false;
    await this.#update((elements) => {
      const index = elements.findLastIndex((e) => GeminiTokenFile.#isFor(e, serverName));
      if (index === -1 || JSON.stringify(elements[index]) !== JSON.stringify(expected)) return undefined;
      replaced = true;
      return elements.map((e, i) => (i === index ? change(e as Fields) : e)).filter((e, i) => i === index || !GeminiTokenFile.#isFor(e, serverName));
    });
    return replaced;
  }

  async delete(serverName: string): Promise<boolean> {
    let removed = false;
    await this.#update((elements) => {
      const kept = elements.filter((e) => !GeminiTokenFile.#isFor(e, serverName));
      removed = kept.length !== elements.length;
      return removed ? kept : undefined;
    });
    return removed;
  }
}

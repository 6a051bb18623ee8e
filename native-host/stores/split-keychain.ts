/**
 * Keychain items of one service, where a secret longer than the platform allows in one item is
 * stored split (layout in split-secret.ts). Where there is no limit (`maxLength` undefined: macOS,
 * Linux) reads, writes and deletes are exactly one keychain call on the account, as before.
 */
import { ProtocolError } from '../../shared/errors';
import {
  keyringDelete,
  keyringGet,
  keyringList,
  keyringSet,
  type KeyringCredential,
  type KeyringItemId,
} from './keyring-entry';
import {
  MAX_PARTS,
  SplitSecretError,
  isPartAccount,
  joinParts,
  otherSet,
  parseHeader,
  partAccount,
  serializeHeader,
  splitText,
  type PartSet,
} from './split-secret';

/** The keychain operations a store needs: the OS keychain by default, a fake in unit tests. */
export interface Keychain {
  get(id: KeyringItemId): Promise<string | undefined>;
  set(id: KeyringItemId, secret: string): Promise<void>;
  delete(id: KeyringItemId): Promise<boolean>;
  list(service: string): Promise<KeyringCredential[]>;
}

export const osKeychain: Keychain = {
  get: keyringGet,
  set: keyringSet,
  delete: keyringDelete,
  list: (service) => keyringList(service),
};

/** One entry of a listing: its whole secret, or why it cannot be put together. */
export type ListedSecret = { account: string; secret: string } | { account: string; damaged: SplitSecretError };

/** Room for the header (about 120 characters) with a margin; real limits are far above it. */
const MIN_MAX_LENGTH = 256;

/** Reads of a split entry that a concurrent rewrite may spoil before one is taken as damaged. */
const READ_ATTEMPTS = 3;

export class SplitKeychain {
  constructor(
    readonly service: string,
    private readonly keychain: Keychain,
    readonly maxLength: number | undefined,
  ) {
    if (maxLength !== undefined && (!Number.isSafeInteger(maxLength) || maxLength < MIN_MAX_LENGTH)) {
      throw new RangeError(`maxLength must be an integer of at least ${MIN_MAX_LENGTH}`);
    }
  }

  private id(account: string): KeyringItemId {
    return { service: this.service, account };
  }

  /**
   * The whole secret, or undefined when there is no item. Parts without a header (left by an
   * interrupted write) are not an entry.
   *
   * @throws SplitSecretError when the header is malformed, a part is missing or the hash differs.
   */
  async read(account: string): Promise<string | undefined> {
    // A writer (another `token` refreshing) may switch the header and remove the old parts while
    // we read them: when the parts do not add up and the header has changed since, read again.
    for (let attempt = 1; ; attempt++) {
      const secret = await this.keychain.get(this.id(account));
      if (secret === undefined) return undefined;
      const header = parseHeader(secret);
      if (!header) return secret;
      const parts: Array<string | undefined> = [];
      for (let i = 1; i <= header.parts; i++) {
        const part = await this.keychain.get(this.id(partAccount(account, header.set, i)));
        parts.push(part);
        if (part === undefined) break;
      }
      try {
        return joinParts(header, parts);
      } catch (error) {
        if (attempt >= READ_ATTEMPTS || (await this.keychain.get(this.id(account))) === secret) throw error;
      }
    }
  }

  /**
   * Stores `secret` under `account`: one item when it fits, else parts first and the header last,
   * in the part set the current header does not use, so until the header is replaced the previous
   * secret stays readable.
   *
   * @throws SplitSecretError when even MAX_PARTS parts cannot hold it (nothing is written then).
   */
  async write(account: string, secret: string): Promise<void> {
    const id = this.id(account);
    if (this.maxLength === undefined) return this.keychain.set(id, secret);
    if (secret.length <= this.maxLength) {
      await this.keychain.set(id, secret);
      await this.tidy(account, [['a', 1], ['b', 1]]);
      return;
    }
    const parts = splitText(secret, this.maxLength);
    if (parts.length > MAX_PARTS) {
      throw new SplitSecretError(`it would take ${parts.length} keychain items, more than the ${MAX_PARTS} allowed`);
    }
    const set = otherSet((await this.currentSet(account)) ?? 'b');
    for (const [i, part] of parts.entries()) await this.keychain.set(this.id(partAccount(account, set, i + 1)), part);
    await this.keychain.set(id, serializeHeader(secret, set, parts.length));
    await this.tidy(account, [[otherSet(set), 1], [set, parts.length + 1]]);
  }

  /**
   * Removes the entry and every part of it (also parts an interrupted write left). The header goes
   * first, so a failure half-way leaves no entry rather than a damaged one.
   *
   * @returns true when anything was removed: the entry, or parts an interrupted write left without it.
   */
  async delete(account: string): Promise<boolean> {
    const existed = await this.keychain.delete(this.id(account));
    let parts = false;
    if (this.maxLength !== undefined) {
      parts = (await this.removeParts(account, 'a', 1)) || parts;
      parts = (await this.removeParts(account, 'b', 1)) || parts;
    }
    return existed || parts;
  }

  /** Every entry of the service, split ones put together; part items are never entries of their own. */
  async list(): Promise<ListedSecret[]> {
    const items = await this.keychain.list(this.service);
    // Parts are taken from the same listing as their header: one consistent look at the keychain.
    const byAccount = new Map(items.map((item) => [item.account, item.secret]));
    const result: ListedSecret[] = [];
    for (const { account, secret } of items) {
      if (isPartAccount(account)) continue;
      try {
        const header = parseHeader(secret);
        if (!header) {
          result.push({ account, secret });
          continue;
        }
        const parts = Array.from({ length: header.parts }, (_, i) => byAccount.get(partAccount(account, header.set, i + 1)));
        result.push({ account, secret: joinParts(header, parts) });
      } catch (error) {
        if (!(error instanceof SplitSecretError)) throw error;
        result.push({ account, damaged: error });
      }
    }
    return result;
  }

  /**
   * Proves the keychain takes a write: one item under `<service>-write-check` (another service, so
   * no listing of ours ever shows it), set and removed. A read alone would not do: a locked Secret
   * Service collection answers searches but refuses to create items.
   */
  async probe(): Promise<void> {
    const id: KeyringItemId = { service: `${this.service}-write-check`, account: `pid-${process.pid}` };
    await this.keychain.set(id, 'ok');
    await this.keychain.delete(id);
  }

  private async currentSet(account: string): Promise<PartSet | undefined> {
    const secret = await this.keychain.get(this.id(account));
    if (secret === undefined) return undefined;
    try {
      return parseHeader(secret)?.set;
    } catch (error) {
      // A malformed header points at nothing usable: either set may be overwritten.
      if (error instanceof SplitSecretError) return undefined;
      throw error;
    }
  }

  /**
   * Removes leftover parts after the entry was written. Best effort: the new secret is already in
   * place and readable, so a failure here must not report the write as failed; whatever is left
   * is removed by the next write or delete, and listings never show parts.
   */
  private async tidy(account: string, sets: Array<[PartSet, number]>): Promise<void> {
    for (const [set, from] of sets) {
      try {
        await this.removeParts(account, set, from);
      } catch (error) {
        // Keychain failures only (see above); anything else is a bug and surfaces.
        if (!(error instanceof ProtocolError)) throw error;
      }
    }
  }

  /**
   * Deletes parts `from`.. of `set`. Writes fill parts upwards from 1, so the parts present are
   * always 1..n without gaps; deleting from the top down keeps it so when a delete is interrupted,
   * and the next sweep still finds the rest.
   */
  /** Whether any part was there to remove. */
  private async removeParts(account: string, set: PartSet, from: number): Promise<boolean> {
    let end = from;
    while (end <= MAX_PARTS && (await this.keychain.get(this.id(partAccount(account, set, end)))) !== undefined) end += 1;
    for (let i = end - 1; i >= from; i--) await this.keychain.delete(this.id(partAccount(account, set, i)));
    return end > from;
  }
}

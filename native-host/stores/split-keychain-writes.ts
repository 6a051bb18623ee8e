/**
 * Writing, removing and listing split keychain items (split-keychain.ts reads them; layout in
 * split-secret.ts): the bridge store's write side (bridge-store-writes.ts) is the one user.
 */
import { ProtocolError } from '../../shared/errors';
import type { KeyringItemId } from './keyring-entry';
import type { ListedSecret, SplitKeychain } from './split-keychain';
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

/** The write side of one service's items; `items` says which service, keychain and size limit. */
export class SplitKeychainWrites {
  constructor(private readonly items: SplitKeychain) {}

  /**
   * Stores `secret` under `account`: one item when it fits, else parts first and the header last,
   * in the part set the current header does not use, so until the header is replaced the previous
   * secret stays readable.
   *
   * @throws SplitSecretError when even MAX_PARTS parts cannot hold it (nothing is written then).
   */
  async write(account: string, secret: string): Promise<void> {
    const id = this.items.id(account);
    if (this.items.maxLength === undefined) return this.items.keychain.set(id, secret);
    if (secret.length <= this.items.maxLength) {
      await this.items.keychain.set(id, secret);
      await this.tidy(account, [['a', 1], ['b', 1]]);
      return;
    }
    const parts = splitText(secret, this.items.maxLength);
    if (parts.length > MAX_PARTS) {
      throw new SplitSecretError(`it would take ${parts.length} keychain items, more than the ${MAX_PARTS} allowed`);
    }
    const set = otherSet((await this.currentSet(account)) ?? 'b');
    for (const [i, part] of parts.entries()) await this.items.keychain.set(this.items.id(partAccount(account, set, i + 1)), part);
    await this.items.keychain.set(id, serializeHeader(secret, set, parts.length));
    await this.tidy(account, [[otherSet(set), 1], [set, parts.length + 1]]);
  }

  /**
   * Removes the entry and every part of it (also parts an interrupted write left). The header goes
   * first, so a failure half-way leaves no entry rather than a damaged one.
   *
   * @returns true when anything was removed: the entry, or parts an interrupted write left without it.
   */
  async delete(account: string): Promise<boolean> {
    const existed = await this.items.keychain.delete(this.items.id(account));
    let parts = false;
    if (this.items.maxLength !== undefined) {
      parts = (await this.removeParts(account, 'a', 1)) || parts;
      parts = (await this.removeParts(account, 'b', 1)) || parts;
    }
    return existed || parts;
  }

  /** Every entry of the service, split ones put together; part items are never entries of their own. */
  async list(): Promise<ListedSecret[]> {
    const items = await this.items.keychain.list(this.items.service);
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
    const id: KeyringItemId = { service: `${this.items.service}-write-check`, account: `pid-${process.pid}` };
    await this.items.keychain.set(id, 'ok');
    await this.items.keychain.delete(id);
  }

  private async currentSet(account: string): Promise<PartSet | undefined> {
    const secret = await this.items.keychain.get(this.items.id(account));
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
    while (end <= MAX_PARTS && (await this.items.keychain.get(this.items.id(partAccount(account, set, end)))) !== undefined) end += 1;
    for (let i = end - 1; i >= from; i--) await this.items.keychain.delete(this.items.id(partAccount(account, set, i)));
    return end > from;
  }
}

/**
 * Keychain items of one service, where a secret longer than the platform allows in one item is
 * stored split (layout in split-secret.ts). Where there is no limit (`maxLength` undefined: macOS,
 * Linux) reads, writes and deletes are exactly one keychain call on the account, as before.
 *
 * This file reads (what `token` needs); split-keychain-writes.ts writes, removes and lists, for
 * the store's write side only.
 */
import {
  keyringDelete,
  keyringGet,
  keyringList,
  keyringSet,
  type KeyringCredential,
  type KeyringItemId,
} from './keyring-entry';
import { joinParts, parseHeader, partAccount, type SplitSecretError } from './split-secret';

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
    readonly keychain: Keychain,
    readonly maxLength: number | undefined,
  ) {
    if (maxLength !== undefined && (!Number.isSafeInteger(maxLength) || maxLength < MIN_MAX_LENGTH)) {
      throw new RangeError(`maxLength must be an integer of at least ${MIN_MAX_LENGTH}`);
    }
  }

  /** The item of an account (a server's, or one of its parts) under this service. */
  id(account: string): KeyringItemId {
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
}

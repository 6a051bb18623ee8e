/**
 * The bridge store's write side: writes (with the "auto" setting's fall-back to a file), the rescue
 * copy, the write check before a login, removals and listings. BridgeStore (bridge-store.ts) loads
 * it at the first of these calls; a `token` with a valid login never does.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { EntryFieldError, serializeStoredCredential, toEntry, validateEntry } from './bridge-entry';
import {
  accountFor,
  damagedEntry,
  fileLocation,
  isKeychainUnavailable,
  keychainLocation,
  parseEntry,
  type BridgeBacking,
  type EntryLocation,
} from './bridge-store';
import type { StoredCredential } from './credential';
import { checkEntryFilesWritable, deleteEntryFile, listEntryFiles, writeEntryFile } from './file-entry-writes';
import type { ListedSecret } from './split-keychain';
import { SplitKeychainWrites } from './split-keychain-writes';
import { SplitSecretError } from './split-secret';

/** An item under our service that could not be used; `error.message` names the field, never a value. */
export interface InvalidBridgeEntry {
  serverUrl: string;
  error: ProtocolError;
}

export interface BridgeStoreScan {
  credentials: StoredCredential[];
  invalid: InvalidBridgeEntry[];
  /** Where each listed entry (usable or not) is, by server URL. */
  locations: Map<string, EntryLocation>;
  /** "auto" only: why the keychain could not be listed (then only the files were). */
  keychainProblem?: string;
}

/** The write side of one BridgeStore; see there for what each method promises. */
export class BridgeStoreWrites {
  private readonly items: SplitKeychainWrites;

  constructor(private readonly store: BridgeBacking) {
    this.items = new SplitKeychainWrites(store.items);
  }

  async writeWithLocation(credential: StoredCredential): Promise<EntryLocation> {
    const { files, warn } = this.store;
    const account = accountFor(credential.serverUrl);
    // Validated before JSON.stringify, which would quietly turn a NaN expiry into null ("never
    // expires"); a bad value is refused here rather than found unreadable at the next refresh.
    try {
      validateEntry(toEntry(credential));
    } catch (error) {
      if (!(error instanceof EntryFieldError)) throw error;
      throw new ProtocolError(
        ErrorCode.StoreFailed,
        `Refusing to write the credential for "${credential.serverUrl}" to ${this.store.describe()}: ${error.message}.`,
      );
    }
    const secret = serializeStoredCredential(credential);
    const mode = await this.store.storeMode();
    if (mode !== 'file') {
      try {
        await this.writeKeychain(credential.serverUrl, account, secret);
        // auto: one copy only. A file left from a login without a keychain would come back into
        // use whenever the keychain cannot be reached, with tokens older than these.
        if (mode === 'auto') await this.removeStaleFile(account);
        return this.store.wrote(keychainLocation());
      } catch (error) {
        if (mode === 'keychain' || !isKeychainUnavailable(error)) throw error;
        const path = await writeEntryFile(files, account, secret);
        warn(`no usable keychain (${firstSentence((error as Error).message)}); stored the login for ${credential.serverUrl} in ${path} (0600, not encrypted).`);
        return this.store.wrote(fileLocation(files, credential.serverUrl));
      }
    }
    const path = await writeEntryFile(files, account, secret);
    warn(`stored the login for ${credential.serverUrl} in ${path} (0600, not encrypted), as the host config's "store": "file" says.`);
    return this.store.wrote(fileLocation(files, credential.serverUrl));
  }

  private async writeKeychain(serverUrl: string, account: string, secret: string): Promise<void> {
    try {
      await this.items.write(account, secret);
    } catch (error) {
      if (!(error instanceof SplitSecretError)) throw error;
      throw new ProtocolError(
        ErrorCode.StoreFailed,
        `Refusing to write the credential for "${serverUrl}" to ${keychainLocation().location}: ${error.message}.`,
      );
    }
  }

  private async removeStaleFile(account: string): Promise<void> {
    try {
      await deleteEntryFile(this.store.files, account);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.store.warn(`${error.message.replace(/^Cannot delete/, 'Could not remove the older copy at')}`);
    }
  }

  async rescue(credential: StoredCredential): Promise<string> {
    return writeEntryFile(this.store.files, accountFor(credential.serverUrl), serializeStoredCredential(credential));
  }

  async checkWritable(): Promise<EntryLocation> {
    const { files } = this.store;
    const mode = await this.store.storeMode();
    if (mode !== 'file') {
      try {
        await this.items.probe();
        return keychainLocation();
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        if (mode === 'keychain') {
          throw new ProtocolError(
            error.code,
            `${error.message} (The host config says "store": "keychain"; "auto" would use a 0600 file under ${files.dir} instead.)`,
          );
        }
        if (!isKeychainUnavailable(error)) throw error;
      }
    }
    await checkEntryFilesWritable(files);
    return fileLocation(files);
  }

  async delete(serverUrl: string): Promise<boolean> {
    const account = accountFor(serverUrl);
    const mode = await this.store.storeMode();
    let removed = false;
    if (mode !== 'file') {
      try {
        removed = await this.items.delete(account);
      } catch (error) {
        if (mode === 'keychain' || !isKeychainUnavailable(error)) throw error;
      }
    }
    if (mode !== 'keychain') removed = (await deleteEntryFile(this.store.files, account)) || removed;
    return removed;
  }

  async scan(): Promise<BridgeStoreScan> {
    const result: BridgeStoreScan = { credentials: [], invalid: [], locations: new Map() };
    const mode = await this.store.storeMode();
    if (mode !== 'file') {
      let listed: ListedSecret[] | undefined;
      try {
        listed = await this.items.list();
      } catch (error) {
        if (mode === 'keychain' || !isKeychainUnavailable(error)) throw error;
        result.keychainProblem = (error as Error).message;
      }
      for (const entry of listed ?? []) addListed(result, entry.account, 'damaged' in entry ? { damaged: entry.damaged.message } : { secret: entry.secret }, keychainLocation());
    }
    if (mode !== 'keychain') {
      for (const entry of await listEntryFiles(this.store.files)) {
        if (result.locations.has(entry.account)) continue;
        addListed(result, entry.account, 'damaged' in entry ? { damaged: entry.damaged } : { secret: entry.secret }, { backing: 'file', location: `file ${entry.path}` });
      }
    }
    return result;
  }
}

function addListed(result: BridgeStoreScan, account: string, item: { secret: string } | { damaged: string }, where: EntryLocation): void {
  result.locations.set(account, where);
  if ('damaged' in item) {
    result.invalid.push({ serverUrl: account, error: damagedEntry(account, item.damaged, where) });
    return;
  }
  try {
    result.credentials.push(parseEntry(account, item.secret, where));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    result.invalid.push({ serverUrl: account, error });
  }
}

/** The keychain error's first sentence (up to the colon before its advice), for a one-line warning. */
export function firstSentence(message: string): string {
  const cut = message.search(/: (run|start|unlock|allow|create|check)\b/);
  const sentence = cut > 0 ? message.slice(0, cut) : message;
  // Long enough for a bus address and an item's name; a longer one ends at a word, marked as cut.
  return sentence.length <= 300 ? sentence : `${sentence.slice(0, sentence.lastIndexOf(' ', 299))}…`;
}

/**
 * Reads and writes mcp-remote's login files for one configured launch, in its store folder, under
 * its refresh lease (mcp-remote-lease.ts), each file replaced atomically and 0600 (as mcp-remote
 * writes them). A file that is there but does not parse is reported and never overwritten: it may
 * be a newer mcp-remote's format, or the user's to look at.
 */
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { writeFileAtomic } from '../../stores/atomic-file';
import type { StoredCredential } from '../../stores/credential';
import { isObject, type Fields } from '../../stores/entry-fields';
import {
  parseClientInfoFile,
  parseTokensFile,
  toClientInfoFile,
  toTokensFile,
  withNewTokens,
  type McpRemoteClientInfo,
  type McpRemoteTokens,
} from './mcp-remote-entry';
import { acquireLease } from './mcp-remote-lease';
import type { McpRemoteLaunch } from './mcp-remote-launch';

export type LaunchRef = Pick<McpRemoteLaunch, 'hash' | 'storeDir' | 'redirectUrl' | 'staticClient'>;

export interface McpRemoteEntry {
  tokens?: McpRemoteTokens;
  client?: McpRemoteClientInfo;
}

export interface McpRemoteSession {
  read(): Promise<McpRemoteEntry>;
  /** A new login: both files replaced (client_info only when mcp-remote reads it). */
  write(credential: StoredCredential): Promise<{ location: string }>;
  /** New tokens of the same login; the tokens file's other fields are kept. False when it is gone. */
  updateTokens(credential: StoredCredential): Promise<boolean>;
}

export interface McpRemoteStoreOptions {
  /** How long to wait for a running mcp-remote's refresh lease. */
  leaseWaitMs?: number;
  now?: () => number;
}

export function tokensPath(launch: LaunchRef): string {
  return join(launch.storeDir, `${launch.hash}_tokens.json`);
}

export function clientInfoPath(launch: LaunchRef): string {
  return join(launch.storeDir, `${launch.hash}_client_info.json`);
}

/** The parsed JSON of a file, undefined when it does not exist; malformed: a clear error, no value. */
async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ProtocolError(ErrorCode.StoreFailed, `mcp-remote ${what} ${path} cannot be read (${code ?? 'error'}).`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError(ErrorCode.StoreFailed, `mcp-remote ${what} ${path} is not valid JSON; it was left as it is (remove it to let mcp-remote or mcp-login-bridge write a new one).`);
  }
}

export class McpRemoteStore {
  readonly #leaseWaitMs: number;
  readonly #now: () => number;

  constructor(options: McpRemoteStoreOptions = {}) {
    this.#leaseWaitMs = options.leaseWaitMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  async read(launch: LaunchRef): Promise<McpRemoteEntry> {
    const tokensDoc = await readJson(tokensPath(launch), 'tokens file');
    const clientDoc = await readJson(clientInfoPath(launch), 'client registration');
    return {
      ...(tokensDoc !== undefined ? { tokens: parseTokensFile(`mcp-remote tokens file ${tokensPath(launch)}`, tokensDoc) } : {}),
      ...(clientDoc !== undefined ? { client: parseClientInfoFile(`mcp-remote client registration ${clientInfoPath(launch)}`, clientDoc) } : {}),
    };
  }

  /** Runs `fn` holding mcp-remote's refresh lease for this launch. */
  async locked<T>(launch: LaunchRef, fn: (session: McpRemoteSession) => Promise<T>): Promise<T> {
    await mkdir(launch.storeDir, { recursive: true, mode: 0o700 });
    const lease = await acquireLease(launch.storeDir, launch.hash, this.#leaseWaitMs);
    try {
      return await fn({
        read: () => this.read(launch),
        write: (credential) => this.#write(launch, credential),
        updateTokens: (credential) => this.#updateTokens(launch, credential),
      });
    } finally {
      await lease.release();
    }
  }

  write(launch: LaunchRef, credential: StoredCredential): Promise<{ location: string }> {
    return this.locked(launch, (session) => session.write(credential));
  }

  /** Removes the login (tokens and client registration), as mcp-remote's own "invalidate all". */
  async delete(launch: LaunchRef): Promise<boolean> {
    return this.locked(launch, async () => {
      let removed = false;
      for (const path of [tokensPath(launch), clientInfoPath(launch)]) {
        try {
          await unlink(path);
          removed = true;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ProtocolError(ErrorCode.StoreFailed, `Cannot remove ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
        }
      }
      return removed;
    });
  }

  async #write(launch: LaunchRef, credential: StoredCredential): Promise<{ location: string }> {
    // Refuse before writing anything when either file is unreadable: never half a login, never a
    // file rewritten that we could not read.
    await this.read(launch);
    if (launch.staticClient && launch.staticClient.clientId !== credential.clientId) {
      throw new ProtocolError(
        ErrorCode.StoreFailed,
        launch.staticClient.clientId === undefined
          ? 'its mcp-remote is given its own OAuth client (--static-oauth-client-info) whose id cannot be read from the config, so a login of ours may not refresh there'
          : 'its mcp-remote is given another OAuth client (--static-oauth-client-info), which cannot refresh a login of ours',
      );
    }
    if (!launch.staticClient) await writeFileAtomic(clientInfoPath(launch), JSON.stringify(toClientInfoFile(credential, launch.redirectUrl), null, 2), 0o600);
    await writeFileAtomic(tokensPath(launch), JSON.stringify(toTokensFile(credential, this.#now()), null, 2), 0o600);
    return { location: tokensPath(launch) };
  }

  async #updateTokens(launch: LaunchRef, credential: StoredCredential): Promise<boolean> {
    const doc = await readJson(tokensPath(launch), 'tokens file');
    if (doc === undefined) return false;
    if (!isObject(doc)) throw new ProtocolError(ErrorCode.StoreFailed, `mcp-remote tokens file ${tokensPath(launch)} does not hold a JSON object; it was left as it is.`);
    await writeFileAtomic(tokensPath(launch), JSON.stringify(withNewTokens(doc as Fields, credential, this.#now()), null, 2), 0o600);
    return true;
  }
}

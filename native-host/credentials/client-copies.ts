/**
 * The local clients' copies of one login (Codex's and Claude Code's stores, for every server they
 * have configured with the URL), read and written while each client's own refresh lock is held.
 *
 * The locks are held for as long as the caller's function runs (the whole of our refresh): Codex
 * and Claude Code hold the same locks across their own refreshes and re-read their store after
 * taking them, so neither can refresh with the token we are refreshing with, and each starts from
 * whatever we wrote. Lock order is ours (bridge refresh lock, taken by the caller) → each Codex
 * server lock → each Claude refresh lock; the clients never take ours or each other's, and within
 * one client the stores take their locks in the client's own order, so there is no cycle.
 *
 * A client whose lock cannot be taken in time, or whose store cannot be read, is left out with a
 * warning: `token` then behaves as before this existed for that client, rather than failing.
 * Warnings name the client, the server and the file or field, never a token.
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { claudeServerRef, type ClientServer } from '../clients/client-server';
import { readCodexConfig, type CodexConfig } from '../clients/codex-config';
import { discoverClientServers, serversForUrl } from '../clients/configured-servers';
import { ClaudeCodeStore } from '../stores/claude-code/claude-code-store';
import { claudeStoreKey } from '../stores/claude-code/store-key';
import { CodexStore } from '../stores/codex/codex-store';
import { codexStoreKey } from '../stores/codex/store-key';
import type { StoredCredential } from '../stores/credential';
import { clientLabel, describeError } from './copy-labels';
import type { ClientCopy } from './rotation-sync';

/** A copy found under its client's lock, and how to give it new tokens while that lock is held. */
export interface HeldCopy {
  copy: ClientCopy;
  /** Resolves to a warning when the copy was written but something around it was not (Codex's stale file entry). */
  write(credential: StoredCredential): Promise<string | undefined>;
}

export interface HeldCopies {
  copies: HeldCopy[];
  /** Clients left out, and why. */
  warnings: string[];
}

export type WithClientCopies = <T>(serverUrl: string, fn: (held: HeldCopies) => Promise<T>) => Promise<T>;

export interface ClientCopiesDeps {
  codex?: CodexStore;
  claude?: ClaudeCodeStore;
  platform?: NodeJS.Platform;
}

/**
 * Less than Codex's own 60 s: `token` runs as a headers helper with a deadline (Claude Code gives
 * it 10 s), and a client holding its lock that long is stuck on the network anyway.
 */
const LOCK_WAIT_MS = 8_000;


/**
 * One server per store entry: the same server in two Claude scopes (user and a project's local
 * scope, as `claude mcp add` makes) is one entry under one lock, and taking that lock twice in
 * one process would wait for ourselves until the timeout.
 */
function onePerEntry(servers: ClientServer[]): ClientServer[] {
  const seen = new Set<string>();
  return servers.filter((server) => {
    const key = server.client === 'codex' ? `codex:${codexStoreKey(server.name, server.url)}` : `claude:${claudeStoreKey(server.name, claudeServerRef(server))}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function clientCopies(deps: ClientCopiesDeps = {}): WithClientCopies {
  const codex = deps.codex ?? new CodexStore({ lock: { timeoutMs: LOCK_WAIT_MS } });
  const claude = deps.claude ?? new ClaudeCodeStore({ lockWaitMs: LOCK_WAIT_MS });
  const platform = deps.platform ?? process.platform;

  return async <T>(serverUrl: string, fn: (held: HeldCopies) => Promise<T>): Promise<T> => {
    const discovery = await discoverClientServers({ codexHome: codex.home });
    // Codex's locks are flock(1) locks, which this host cannot take on Windows, and there Codex
    // keeps its logins in its own encrypted store, where we write none: no copy of ours to keep in step.
    const servers = onePerEntry(serversForUrl(discovery, serverUrl)).filter((s) => s.client !== 'codex' || platform !== 'win32');
    // Config problems may hide a client's copy: say so, since that copy then keeps a spent token.
    const held: HeldCopies = { copies: [], warnings: [...discovery.problems] };
    let codexConfig: CodexConfig | undefined;

    // One server at a time, each lock held until everything after it (and `fn`) is done.
    const holdFrom = async (index: number): Promise<T> => {
      const server = servers[index];
      if (!server) return fn(held);
      let entered = false;
      const next = () => ((entered = true), holdFrom(index + 1));
      try {
        if (server.client === 'codex') {
          codexConfig ??= await readCodexConfig(codex.home);
          const config = codexConfig;
          return await codex.locked(server, async (session) => {
            await readInto(server, held, async () => {
              const found = await session.read();
              if (!found) return undefined;
              const c = found.credential;
              return {
                copy: { client: 'codex', server: server.name, ...(c.issuer ? { issuer: c.issuer } : {}), clientId: c.clientId, accessToken: c.accessToken, ...(c.refreshToken ? { refreshToken: c.refreshToken } : {}), expiresAt: c.expiresAt },
                async write(credential) {
                  // Codex's entry with new tokens; its names, client id and scopes stay as Codex has them.
                  const written = await session.write({
                    ...c,
                    issuer: c.issuer ?? credential.issuer,
                    accessToken: credential.accessToken,
                    tokenType: credential.tokenType,
                    ...(credential.refreshToken ? { refreshToken: credential.refreshToken } : {}),
                    expiresAt: credential.expiresAt,
                  });
                  return written.warning;
                },
              };
            });
            return next();
          }, config);
        }
        return await claude.locked(claudeServerRef(server), async (session) => {
          await readInto(server, held, async () => {
            const found = await session.read();
            if (!found) return undefined;
            const c = found.credential;
            return {
              copy: { client: 'claude-code', server: server.name, ...(c.issuer ? { issuer: c.issuer } : {}), ...(c.clientId ? { clientId: c.clientId } : {}), ...(c.accessToken ? { accessToken: c.accessToken } : {}), ...(c.refreshToken ? { refreshToken: c.refreshToken } : {}), expiresAt: c.expiresAt },
              async write(credential) {
                const written = await session.updateTokens({
                  accessToken: credential.accessToken,
                  ...(credential.refreshToken ? { refreshToken: credential.refreshToken } : {}),
                  expiresAt: credential.expiresAt,
                });
                if (!written) throw new ProtocolError(ErrorCode.StoreFailed, 'its entry was removed meanwhile');
                return undefined;
              },
            };
          });
          return next();
        });
      } catch (error) {
        // A failure after `next` ran came from later servers or from `fn`: not ours to swallow.
        if (entered) throw error;
        held.warnings.push(`${clientLabel(server)}: its copy of the login was not checked (${describeError(error)}).`);
        return holdFrom(index + 1);
      }
    };
    return holdFrom(0);
  };
}

/** Reads one copy into `held`; an unreadable copy becomes a warning, and the lock stays held. */
async function readInto(server: ClientServer, held: HeldCopies, read: () => Promise<HeldCopy | undefined>): Promise<void> {
  try {
    const found = await read();
    if (found) held.copies.push(found);
  } catch (error) {
    held.warnings.push(`${clientLabel(server)}: its copy of the login could not be read (${describeError(error)}).`);
  }
}

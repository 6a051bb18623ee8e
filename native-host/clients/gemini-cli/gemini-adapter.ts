/**
 * Gemini CLI (npm @google/gemini-cli, verified against 0.61.0) behind the client interface: its
 * servers from `settings.json` (gemini-settings.ts), its stored logins in the token file or its
 * encrypted file (gemini-store.ts), its refresh rules (gemini-entry.ts).
 *
 * Gemini records no issuer; gemini-issuers.ts supplies it for rotation sync's "same login" check.
 *
 * Locks: Gemini takes none around its refresh (it reads, refreshes and rewrites the whole file).
 * `withLock` therefore cannot keep Gemini out; it holds nothing across `fn` and instead writes new
 * tokens only if the entry is still the one read (a Gemini refresh in between wins, and is left as
 * Gemini wrote it). Our own writers are serialized by a lock file of ours next to Gemini's file.
 */
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { configPath } from '../../config';
import { discoverAuthorizationServer } from '../../oauth/discovery';
import type { StoredCredential } from '../../stores/credential';
import {
  notice,
  type AdapterOptions,
  type ClientAdapter,
  type ClientDiscovery,
  type ClientEntry,
  type ClientNotice,
  type ConfiguredServer,
  type HeldEntry,
  type Usability,
  type UsabilityContext,
  type WriteContext,
  type WriteOutcome,
} from '../client-adapter';
import { geminiAccountName } from './gemini-encrypted-file';
import { GeminiIssuers } from './gemini-issuers';
import { describeGeminiAdvice, geminiClientAdvice, geminiUsability, type ClientKind, type GeminiCredential } from './gemini-entry';
import { discoverGeminiServers, type GeminiServer, type GeminiServerConfig } from './gemini-settings';
import { GeminiStore, type GeminiRead } from './gemini-store';

const ID = 'gemini-cli' as const;
/** Shorter than a client's own waits: `token` runs as a headers helper with a deadline. */
const DEFAULT_LOCK_WAIT_MS = 8_000;

/** What `read` returns: the common fields, and Gemini's own for `usability`. */
interface GeminiEntry extends ClientEntry {
  gemini: GeminiCredential;
}

type Server = ConfiguredServer<GeminiServerConfig>;

function asGeminiServer(server: Server): GeminiServer {
  return { name: server.name, url: server.url, source: server.source, config: server.config };
}

async function toEntry(read: GeminiRead, store: GeminiStore, issuers: GeminiIssuers): Promise<GeminiEntry> {
  const c = read.credential;
  const issuer = await issuers.issuerFor(c.tokenUrl);
  return {
    ...(issuer ? { issuer } : {}),
    ...(c.clientId ? { clientId: c.clientId } : {}),
    accessToken: c.accessToken,
    ...(c.refreshToken ? { refreshToken: c.refreshToken } : {}),
    expiresAt: c.expiresAt,
    store: store.mode === 'file' ? 'file' : 'encrypted file',
    gemini: c,
  };
}

/** Whether the login's client needs a secret, from our own entry when it is the same client. */
function clientKind(clientId: string | undefined, ours: StoredCredential | undefined): ClientKind | undefined {
  if (!ours || !clientId || ours.clientId !== clientId) return undefined;
  return { clientId, confidential: ours.tokenEndpointAuthMethod !== 'none' };
}

export function createGeminiAdapter(options: AdapterOptions = {}): ClientAdapter<GeminiServerConfig> {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const issuers = new GeminiIssuers(env, options.platform);
  const store = new GeminiStore({ env, lockWaitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, ...(options.platform ? { platform: options.platform } : {}) });

  return {
    id: ID,
    label: 'Gemini CLI',
    configHint: 'mcpServers.<name> (httpUrl or url) in ~/.gemini/settings.json or a project\'s .gemini/settings.json',

    async discover(): Promise<ClientDiscovery> {
      const found = await discoverGeminiServers({ env, ...(options.projectDir ? { projectDir: options.projectDir } : {}) });
      return {
        servers: found.servers.map((s) => ({
          client: ID,
          name: s.name,
          url: s.url,
          source: s.source,
          // The encrypted file keys entries by the sanitized name: two names can share one.
          entryKey: store.mode === 'file' ? s.name : geminiAccountName(s.name),
          storeReachable: store.mode !== 'keychain',
          config: s.config,
        })),
        problems: found.problems.map((message) => notice(ID, 'config-unreadable', message)),
      };
    },

    async read(server: Server): Promise<ClientEntry | undefined> {
      const found = await store.read(server.name);
      return found ? toEntry(found, store, issuers) : undefined;
    },

    async write(server: Server, credential: StoredCredential, context: WriteContext): Promise<WriteOutcome> {
      const gemini = asGeminiServer(server);
      const advice = geminiClientAdvice(gemini, { clientId: credential.clientId, confidential: credential.tokenEndpointAuthMethod !== 'none' });
      if (advice.kind === 'client-id-mismatch') {
        // Gemini would refresh with its configured client, fail, and delete the login: leave its entry alone.
        return { notices: [notice(ID, 'client-id-mismatch', describeGeminiAdvice(advice, gemini, configPath())!, server.name)] };
      }
      // Gemini never re-discovers the token endpoint: its entry must name it.
      const tokenUrl = context.tokenEndpoint ?? (await discoverAuthorizationServer(credential.issuer)).token_endpoint;
      if (!tokenUrl) throw new ProtocolError(ErrorCode.StoreFailed, `${credential.issuer} names no token endpoint, which Gemini CLI needs in its entry`);
      const location = await store.write(server, credential, tokenUrl, now());
      await issuers.note(tokenUrl, credential.issuer);
      const text = describeGeminiAdvice(advice, gemini, configPath());
      return { location, notices: text ? [notice(ID, 'settings-missing', text, server.name)] : [] };
    },

    async delete(server: Server): Promise<string | undefined> {
      return (await store.delete(server.name)) ? store.describe() : undefined;
    },

    async withLock<T>(server: Server, fn: (held: HeldEntry) => Promise<T>): Promise<T> {
      let read: GeminiRead | undefined;
      let looked = false;
      const held: HeldEntry = {
        async read() {
          read = await store.read(server.name);
          looked = true;
          return read ? toEntry(read, store, issuers) : undefined;
        },
        async updateTokens(credential: StoredCredential) {
          if (!looked) read = await store.read(server.name);
          if (!read) throw new ProtocolError(ErrorCode.StoreFailed, `Gemini CLI has no login for ${server.name} any more`);
          const written = await store.updateTokens(server.name, read, {
            accessToken: credential.accessToken,
            tokenType: credential.tokenType,
            ...(credential.refreshToken ? { refreshToken: credential.refreshToken } : {}),
            expiresAt: credential.expiresAt,
          }, now());
          // Gemini refreshed (or the user logged in again) since we read: its newer entry stays.
          return written ? undefined : `Gemini CLI (server "${server.name}") changed its login meanwhile; left as Gemini wrote it.`;
        },
      };
      return fn(held);
    },

    usability(server: Server, entry: ClientEntry, context: UsabilityContext): Usability {
      const gemini = (entry as Partial<GeminiEntry>).gemini;
      if (!gemini) return { loggedIn: false, refreshCapable: false, reason: 'the stored login could not be read' };
      return geminiUsability(gemini, asGeminiServer(server), context.now, clientKind(gemini.clientId, context.ours));
    },

    async checkWritable(server: Server): Promise<ClientNotice | undefined> {
      try {
        await store.read(server.name);
        return undefined;
      } catch (error) {
        return notice(ID, 'store-unwritable', error instanceof ProtocolError ? error.message : `Gemini CLI's store ${store.describe()} cannot be read`, server.name);
      }
    },

    notConfiguredHint(url: string): string {
      return `Gemini CLI has no server with this URL; add it (gemini mcp add --transport http <name> ${url}) and log in again to write it there.`;
    },
  };
}

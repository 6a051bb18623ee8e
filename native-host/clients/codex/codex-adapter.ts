/**
 * Codex CLI behind the client interface: its servers are `[mcp_servers.<name>]` with a `url` in
 * `$CODEX_HOME/config.toml`; its logins live in the store that config names (codex-store.ts), under
 * its per-server flock; it refreshes by itself only with the client secret in its config
 * (codex-client-advice.ts), which `login --write-config` can add (codex-config-edit.ts).
 */
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import { configPath } from '../../config';
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
import { asksBridgeToken } from '../asks-bridge-token';
import { codexClientAdvice, describeCodexAdvice } from './codex-client-advice';
import { codexHome, readCodexConfig, type CodexServerConfig } from './codex-config';
import { writeCodexOauthSettings } from './codex-config-edit';
import { codexUsability, type CodexCredential } from './codex-entry';
import { CodexStore, type CodexReadResult } from './codex-store';
import { codexStoreKey } from './store-key';

const GOOGLE_ISSUER = 'https://accounts.google.com';

type CodexServer = ConfiguredServer<CodexServerConfig>;

export interface CodexAdapterOptions extends AdapterOptions {
  /** Default: a store in `$CODEX_HOME` (else `~/.codex`) built from the other options. */
  store?: CodexStore;
}

function entryOf(read: CodexReadResult): ClientEntry {
  const c = read.credential;
  return { ...(c.issuer ? { issuer: c.issuer } : {}), clientId: c.clientId, accessToken: c.accessToken, ...(c.refreshToken ? { refreshToken: c.refreshToken } : {}), expiresAt: c.expiresAt, store: read.store };
}

export class CodexAdapter implements ClientAdapter<CodexServerConfig> {
  readonly id = 'codex' as const;
  readonly label = 'Codex';
  readonly configHint = 'config.toml [mcp_servers.<name>], in the store Codex reads first';
  readonly store: CodexStore;
  readonly #platform: NodeJS.Platform;

  constructor(options: CodexAdapterOptions = {}) {
    this.#platform = options.platform ?? process.platform;
    this.store = options.store ?? new CodexStore({
      home: codexHome(options.env),
      platform: this.#platform,
      ...(options.lockWaitMs !== undefined ? { lock: { timeoutMs: options.lockWaitMs } } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  }

  async discover(): Promise<ClientDiscovery> {
    try {
      const config = await readCodexConfig(this.store.home);
      return {
        servers: config.servers.map((server) => ({
          client: 'codex',
          name: server.name,
          url: server.url,
          source: config.path,
          entryKey: codexStoreKey(server.name, server.url),
          // Codex's locks are flock(1) locks, which this host cannot take on Windows, and there Codex
          // keeps its logins in its own encrypted store, where we write none.
          storeReachable: this.#platform !== 'win32',
          ...(asksBridgeToken(server.httpHeadersHelper) ? { asksToken: 'http_headers_helper' } : {}),
          config: server,
        })),
        problems: [],
      };
    } catch (error) {
      return { servers: [], problems: [notice('codex', 'config-unreadable', (error as Error).message)] };
    }
  }

  async read(server: CodexServer): Promise<ClientEntry | undefined> {
    const read = await this.store.read(server);
    return read ? entryOf(read) : undefined;
  }

  async write(server: CodexServer, credential: StoredCredential, context: WriteContext): Promise<WriteOutcome> {
    const notices: ClientNotice[] = [];
    let config = await readCodexConfig(this.store.home);
    let advice = codexClientAdvice(server.config, credential);
    if (advice.kind === 'missing-secret' && context.writeConfig) {
      // The config edit is a convenience on top of the login: when it refuses (oauth written with
      // dotted keys, a file that no longer parses), say why and still store the credential, with
      // the advice saying which lines to add by hand, as without --write-config.
      try {
        notices.push(await this.applyAdvice(server.name, credential));
        config = await readCodexConfig(this.store.home);
        advice = codexClientAdvice(config.servers.find((s) => s.name === server.name) ?? server.config, credential);
      } catch (error) {
        notices.push(notice(
          'codex',
          'config-edit-failed',
          // Our own errors name files and fields only; anything else is reduced to its class.
          error instanceof ProtocolError ? error.message : `Could not edit ${config.path} for ${server.name} (${error instanceof Error ? error.name : 'error'}).`,
          server.name,
        ));
      }
    }
    if (advice.kind === 'client-id-mismatch') {
      // Codex would refuse this entry and ask for a new login; leave its current one alone.
      notices.push(notice('codex', 'client-id-mismatch', describeCodexAdvice(advice, server.name, config.path, configPath())!, server.name));
      return { notices };
    }
    const written = await this.store.write(server, credential, config);
    if (written.warning) notices.push(notice('codex', 'stale-entry', written.warning, server.name));
    const text = describeCodexAdvice(advice, server.name, config.path, configPath());
    if (text) notices.push(notice('codex', 'settings-missing', text, server.name));
    return { location: written.location, notices };
  }

  async delete(server: CodexServer): Promise<string | undefined> {
    return (await this.store.delete(server)) ? this.store.describe() : undefined;
  }

  async withLock<T>(server: CodexServer, fn: (held: HeldEntry) => Promise<T>): Promise<T> {
    return this.store.locked(server, async (session) => {
      let found: CodexCredential | undefined;
      return fn({
        async read() {
          const read = await session.read();
          found = read?.credential;
          return read ? entryOf(read) : undefined;
        },
        async updateTokens(credential) {
          found ??= (await session.read())?.credential;
          if (!found) throw new ProtocolError(ErrorCode.StoreFailed, 'its entry was removed meanwhile');
          // Codex's entry with new tokens; its names, client id and scopes stay as Codex has them.
          const written = await session.write({
            ...found,
            issuer: found.issuer ?? credential.issuer,
            accessToken: credential.accessToken,
            tokenType: credential.tokenType,
            ...(credential.refreshToken ? { refreshToken: credential.refreshToken } : {}),
            expiresAt: credential.expiresAt,
          });
          return written.warning;
        },
      });
    });
  }

  usability(server: CodexServer, entry: ClientEntry, { now, ours }: UsabilityContext): Usability {
    const clientId = entry.clientId ?? '';
    const usable = codexUsability({ serverName: server.name, serverUrl: server.url, clientId, accessToken: entry.accessToken ?? '', tokenType: 'Bearer', scopes: [], expiresAt: entry.expiresAt, ...(entry.issuer ? { issuer: entry.issuer } : {}), ...(entry.refreshToken ? { refreshToken: entry.refreshToken } : {}) }, now);
    const judged: Usability = { loggedIn: usable.loggedIn, refreshCapable: usable.refreshCapable, ...(usable.reason ? { reason: usable.reason } : {}) };
    if (!usable.refreshCapable) return judged;
    // Codex needs the client secret in its config for a confidential client: ours says whether the
    // client has one; without our entry, Google (which always has one) is the known case.
    const google = entry.issuer === GOOGLE_ISSUER;
    const credential = ours && ours.clientId === clientId
      ? ours
      : { clientId, tokenEndpointAuthMethod: google ? ('client_secret_post' as const) : ('none' as const), ...(google ? { clientSecret: 'unknown' } : {}) };
    const advice = codexClientAdvice(server.config, credential);
    if (advice.kind === 'ok') return judged;
    const text = describeCodexAdvice(advice, server.name, server.source, configPath());
    return {
      ...judged,
      refreshCapable: false,
      reason: advice.kind === 'client-id-mismatch' ? `client id mismatch with config.toml: ${text}` : `client secret missing from Codex's config: ${text}`,
    };
  }

  /** Adds the client id and secret Codex needs for `serverName` to its config.toml. */
  async applyAdvice(serverName: string, credential: StoredCredential): Promise<ClientNotice> {
    const config = await readCodexConfig(this.store.home);
    const server = config.servers.find((s) => s.name === serverName);
    const advice = server ? codexClientAdvice(server, credential) : undefined;
    if (advice?.kind !== 'missing-secret') return notice('codex', 'settings-added', `Codex's ${config.path} already has the client settings for ${serverName}.`, serverName);
    await writeCodexOauthSettings(config.path, serverName, {
      ...(advice.missing.includes('client_id') ? { clientId: credential.clientId } : {}),
      ...(advice.missing.includes('client_secret') && credential.clientSecret ? { clientSecret: credential.clientSecret } : {}),
    });
    return notice('codex', 'settings-added', `Added ${advice.missing.join(' and ')} for ${serverName} to ${config.path} (now mode 0600: it holds a secret).`, serverName);
  }

  async checkWritable(server: CodexServer): Promise<ClientNotice | undefined> {
    try {
      await this.store.storeMode(await readCodexConfig(this.store.home));
      return undefined;
    } catch (error) {
      const kind = error instanceof ProtocolError && error.code === ErrorCode.ConfigInvalid ? 'config-unreadable' : 'store-unwritable';
      return notice('codex', kind, error instanceof ProtocolError ? error.message : `Codex's store cannot be checked (${(error as Error)?.name ?? 'error'}).`, server.name);
    }
  }

  notConfiguredHint(url: string): string {
    return `Codex has no server with url = "${url}" in its config.toml; add one ([mcp_servers.<name>] url = "${url}") and log in again to write it there.`;
  }
}

/**
 * mcp-remote as the host's other clients see it (client-adapter.ts). Its "configured servers" are
 * the mcp-remote launches in Claude Desktop's, Cursor's, Windsurf's and VS Code's configs
 * (mcp-remote-configs.ts); each one's login lives in mcp-remote's own store under a name computed
 * from the URL and the launch's options (mcp-remote-hash.ts), so the same server launched with
 * other options is another entry, and the same launch in two apps is one entry.
 *
 * A launch we cannot write for (an mcp-remote older than 0.15, `--client-credentials`, a header
 * file we cannot read, VS Code variables in what decides the store name) is still listed,
 * unreachable: `read` and `write` throw the reason, so `status` says why and `login` reports it.
 */
import { ErrorCode, ProtocolError } from '../../../shared/errors';
import type { StoredCredential } from '../../stores/credential';
import { notice, type AdapterOptions, type ClientAdapter, type ClientEntry, type ConfiguredServer, type Usability } from '../client-adapter';
import { discoverMcpRemoteServers, type McpRemoteApp } from './mcp-remote-configs';
import { mcpRemoteUsability } from './mcp-remote-entry';
import type { McpRemoteLaunch } from './mcp-remote-launch';
import { McpRemoteStore, tokensPath, type McpRemoteEntry } from './mcp-remote-store';

export type McpRemoteConfig = { app: McpRemoteApp; launch: McpRemoteLaunch } | { app: McpRemoteApp; unsupported: string };

type Server = ConfiguredServer<McpRemoteConfig>;

const ID = 'mcp-remote' as const;
const LOCK_WAIT_MS = 8_000;

function launchOf(server: Server): McpRemoteLaunch {
  if ('unsupported' in server.config) {
    throw new ProtocolError(ErrorCode.StoreFailed, `mcp-remote (${server.name} in ${server.config.app}): ${server.config.unsupported}.`);
  }
  return server.config.launch;
}

export function mcpRemoteAdapter(options: AdapterOptions = {}): ClientAdapter<McpRemoteConfig> {
  const store = new McpRemoteStore({ leaseWaitMs: options.lockWaitMs ?? LOCK_WAIT_MS, ...(options.now ? { now: options.now } : {}) });
  const now = options.now ?? Date.now;
  // What `usability` needs beyond the common entry (the client registration), kept per entry read.
  const details = new WeakMap<ClientEntry, McpRemoteEntry>();

  const toEntry = (found: McpRemoteEntry, launch: McpRemoteLaunch): ClientEntry | undefined => {
    if (!found.tokens) return undefined;
    const t = found.tokens;
    // mcp-remote's own refresh drops `issuer` from the tokens file; its client registration keeps it.
    const issuer = t.issuer ?? found.client?.issuer;
    const clientId = launch.staticClient ? launch.staticClient.clientId : found.client?.clientId;
    const entry: ClientEntry = {
      ...(issuer ? { issuer } : {}),
      ...(clientId ? { clientId } : {}),
      accessToken: t.accessToken,
      ...(t.refreshToken ? { refreshToken: t.refreshToken } : {}),
      expiresAt: t.expiresAt,
      store: 'file',
    };
    details.set(entry, found);
    return entry;
  };

  return {
    id: ID,
    label: 'mcp-remote',

    async discover() {
      const found = await discoverMcpRemoteServers({
        ...(options.env ? { env: options.env } : {}),
        ...(options.platform ? { platform: options.platform } : {}),
        ...(options.projectDir ? { projectDir: options.projectDir } : {}),
      });
      const servers: Server[] = found.servers.map((s) => ({
        client: ID,
        name: s.name,
        url: s.url,
        source: s.source,
        entryKey: tokensPath(s.launch),
        storeReachable: true,
        config: { app: s.app, launch: s.launch },
      }));
      const problems = found.problems.map((p) => notice(ID, 'config-unreadable', p));
      for (const u of found.unsupported) {
        if (u.url === undefined) {
          problems.push(notice(ID, 'config-unreadable', `${u.app} config ${u.source}: ${u.name} starts mcp-remote, but ${u.reason}.`, u.name));
          continue;
        }
        servers.push({ client: ID, name: u.name, url: u.url, source: u.source, entryKey: `unsupported:${u.source}:${u.name}`, storeReachable: false, config: { app: u.app, unsupported: u.reason } });
      }
      return { servers, problems };
    },

    async read(server) {
      // An unreachable launch has no entry of ours to read; saying why is what `status` shows.
      const launch = launchOf(server);
      return toEntry(await store.read(launch), launch);
    },

    async write(server, credential: StoredCredential) {
      const written = await store.write(launchOf(server), credential);
      return { location: written.location, notices: [] };
    },

    async delete(server) {
      if ('unsupported' in server.config) return undefined;
      const launch = server.config.launch;
      return (await store.delete(launch)) ? tokensPath(launch) : undefined;
    },

    withLock(server, fn) {
      const launch = launchOf(server);
      return store.locked(launch, (session) =>
        fn({
          read: async () => toEntry(await session.read(), launch),
          async updateTokens(credential) {
            if (!(await session.updateTokens(credential))) throw new ProtocolError(ErrorCode.StoreFailed, 'its entry was removed meanwhile');
            return undefined;
          },
        }),
      );
    },

    usability(server, entry, context): Usability {
      if ('unsupported' in server.config) return { loggedIn: false, refreshCapable: false, reason: server.config.unsupported };
      const found = details.get(entry);
      const tokens = found?.tokens ?? {
        accessToken: entry.accessToken ?? '',
        tokenType: 'Bearer',
        ...(entry.refreshToken ? { refreshToken: entry.refreshToken } : {}),
        expiresAt: entry.expiresAt,
        ...(entry.issuer ? { issuer: entry.issuer } : {}),
      };
      const u = mcpRemoteUsability(tokens, found?.client, server.config.launch, context.now ?? now());
      return { loggedIn: u.loggedIn, refreshCapable: u.refreshCapable, ...(u.reason ? { reason: u.reason } : {}) };
    },

    async checkWritable(server) {
      if ('unsupported' in server.config) return notice(ID, 'store-unwritable', `mcp-remote (${server.name} in ${server.config.app}): ${server.config.unsupported}.`, server.name);
      try {
        await store.read(server.config.launch);
        return undefined;
      } catch (error) {
        return notice(ID, 'store-unwritable', error instanceof ProtocolError ? error.message : `mcp-remote's store for ${server.name} cannot be read.`, server.name);
      }
    },

    notConfiguredHint(url: string) {
      return `No Claude Desktop, Cursor, Windsurf or VS Code config starts mcp-remote for "${url}"; add it there as a command server ("command": "npx", "args": ["-y", "mcp-remote", "${url}"]) and log in again to write it.`;
    },
  };
}

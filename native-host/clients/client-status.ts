/**
 * Per client, per configured server: is the user logged in there, until when, can that client
 * refresh by itself, and if not, why (issue 3, "status"). Judged by each client's own rules
 * (codexUsability, claudeUsability) and, for Codex, by whether its config has what a refresh needs.
 */
import { ProtocolError } from '../../shared/errors';
import type { ClientLoginSummary } from '../../shared/protocol';
import { configPath } from '../config';
import { claudeUsability } from '../stores/claude-code/claude-entry';
import { ClaudeCodeStore } from '../stores/claude-code/claude-code-store';
import { codexUsability } from '../stores/codex/codex-entry';
import { CodexStore } from '../stores/codex/codex-store';
import type { StoredCredential } from '../stores/credential';
import { claudeServerRef, type ClientDiscovery, type ClientServer } from './client-server';
import { codexClientAdvice, describeCodexAdvice } from './codex-client-advice';
import { readCodexConfig, type CodexConfig } from './codex-config';
import { discoverClientServers } from './configured-servers';

const GOOGLE_ISSUER = 'https://accounts.google.com';

export interface ClientStatusDeps {
  discover?: () => Promise<ClientDiscovery>;
  codex?: CodexStore;
  claude?: ClaudeCodeStore;
  /** Our own entry for a URL, when there is one: it tells whether the client is confidential. */
  bridgeCredential?: (serverUrl: string) => Promise<StoredCredential | undefined>;
  now?: () => number;
}

export async function clientStatuses(deps: ClientStatusDeps = {}): Promise<{ clients: ClientLoginSummary[]; problems: string[] }> {
  const codex = deps.codex ?? new CodexStore();
  const claude = deps.claude ?? new ClaudeCodeStore();
  const discovery = await (deps.discover ?? (() => discoverClientServers({ codexHome: codex.home })))();
  const now = (deps.now ?? Date.now)();
  let codexConfig: CodexConfig | undefined;
  const clients: ClientLoginSummary[] = [];
  for (const server of discovery.servers) {
    const base = { client: server.client, server: server.name, serverUrl: server.url };
    try {
      if (server.client === 'codex') {
        codexConfig ??= await readCodexConfig(codex.home);
        clients.push({ ...base, ...(await codexStatus(codex, codexConfig, server, now, deps.bridgeCredential)) });
      } else {
        clients.push({ ...base, ...(await claudeStatus(claude, server, now)) });
      }
    } catch (error) {
      clients.push({ ...base, loggedIn: false, refreshCapable: false, expiresAt: null, reason: error instanceof ProtocolError ? error.message : 'the stored login could not be read' });
    }
  }
  return { clients, problems: discovery.problems };
}

type Judgement = Omit<ClientLoginSummary, 'client' | 'server' | 'serverUrl'>;

async function codexStatus(
  store: CodexStore,
  config: CodexConfig,
  server: Extract<ClientServer, { client: 'codex' }>,
  now: number,
  bridgeCredential?: (url: string) => Promise<StoredCredential | undefined>,
): Promise<Judgement> {
  const read = await store.read(server, config);
  if (!read) return { loggedIn: false, refreshCapable: false, expiresAt: null, reason: 'not logged in' };
  const c = read.credential;
  const usable = codexUsability(c, now);
  const judged: Judgement = {
    loggedIn: usable.loggedIn,
    refreshCapable: usable.refreshCapable,
    expiresAt: c.expiresAt,
    ...(c.issuer ? { issuer: c.issuer } : {}),
    store: read.store,
    ...(usable.reason ? { reason: usable.reason } : {}),
  };
  if (!usable.refreshCapable) return judged;
  // Codex needs the client secret in its config for a confidential client: ours says whether the
  // client has one; without our entry, Google (which always has one) is the known case.
  const ours = await bridgeCredential?.(server.url).catch(() => undefined);
  const credential = ours && ours.clientId === c.clientId
    ? ours
    : { clientId: c.clientId, tokenEndpointAuthMethod: c.issuer === GOOGLE_ISSUER ? ('client_secret_post' as const) : ('none' as const), ...(c.issuer === GOOGLE_ISSUER ? { clientSecret: 'unknown' } : {}) };
  const advice = codexClientAdvice(server.config, credential);
  if (advice.kind === 'ok') return judged;
  return {
    ...judged,
    refreshCapable: false,
    reason: advice.kind === 'client-id-mismatch'
      ? `client id mismatch with config.toml: ${describeCodexAdvice(advice, server.name, config.path, configPath())}`
      : `client secret missing from Codex's config: ${describeCodexAdvice(advice, server.name, config.path, configPath())}`,
  };
}

async function claudeStatus(store: ClaudeCodeStore, server: Extract<ClientServer, { client: 'claude-code' }>, now: number): Promise<Judgement> {
  const ref = claudeServerRef(server);
  const read = await store.read(ref);
  if (!read) return { loggedIn: false, refreshCapable: false, expiresAt: null, reason: 'not logged in' };
  const c = read.credential;
  const usable = claudeUsability(c, now);
  return {
    loggedIn: usable.loggedIn,
    refreshCapable: usable.refreshCapable,
    expiresAt: c.expiresAt,
    ...(c.issuer ? { issuer: c.issuer } : {}),
    store: store.usesKeychain ? 'keychain' : 'file',
    ...(usable.reason ? { reason: usable.reason } : {}),
  };
}

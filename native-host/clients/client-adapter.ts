/**
 * One local MCP client (Codex, Claude Code, …) as login, logout, status, doctor and `token`'s
 * rotation sync see it: a few verbs and no client names, in the manner of the MCP SDK's
 * `OAuthClientProvider` or gh's keyring package. Everything about one client — its config files,
 * its store's format and keys, its locks, when it refuses an entry, the advice it needs — lives in
 * `native-host/clients/<client>/`, behind this interface; `registry.ts` lists the adapters. Adding
 * a client is one new folder and one line there (and its name in shared/protocol.ts CLIENT_NAMES).
 *
 * The bridge's own keychain entry (stores/bridge-store.ts, `CredentialTarget`) is not an adapter,
 * and deliberately so: it is the one store the host owns, keyed by URL alone, holding everything a
 * refresh needs (client secret, resource, token endpoint auth); an adapter writes a *copy* of that
 * login into a store someone else owns, under that client's server name, format and locks.
 *
 * Messages an adapter returns or throws name files, settings and fields, never a token or secret.
 */
import type { ClientName, ClientNotice, ClientNoticeKind } from '../../shared/protocol';
import type { StoredCredential } from '../stores/credential';

export type { ClientName, ClientNotice, ClientNoticeKind };

/**
 * An MCP server as one client has it configured. A login for a URL is written to every configured
 * server with exactly that URL (clients do not normalize URLs: a trailing slash is another server),
 * under the name that client uses, so its store keys come out as the client computes them.
 */
export interface ConfiguredServer<Config = unknown> {
  client: ClientName;
  /** The server's name in that client's config. */
  name: string;
  /** The URL exactly as written there. */
  url: string;
  /** Where it is configured (file, and scope where the client has several), for messages. */
  source: string;
  /**
   * Which entry of the client's store holds this server's login. Two configured servers can share
   * one (Claude Code's user and local scope with the same name and URL): they are one copy under
   * one lock, and taking that lock twice in one process would wait for ourselves.
   */
  entryKey: string;
  /**
   * False where the client keeps this server's logins in a store we neither read nor write (Codex's
   * encrypted secrets on Windows): logout and rotation sync leave it out silently, status reads it
   * and says why, login tries and reports the refusal.
   */
  storeReachable: boolean;
  /**
   * The client setting through which this server asks `mcp-login-bridge token` for its token (a
   * headers helper, see asks-bridge-token.ts), when it does: login writes it no copy, and status
   * says it uses the bridge's login.
   */
  asksToken?: string;
  /** The client's own parsed entry; only its adapter looks inside. */
  config: Config;
}

export interface ClientDiscovery {
  servers: ConfiguredServer[];
  /** Config files (or entries) that could not be read: kind `config-unreadable`, one per problem. */
  problems: ClientNotice[];
}

/** One client's stored login for one server, in common terms (no client's format). */
export interface ClientEntry {
  issuer?: string;
  clientId?: string;
  accessToken?: string;
  refreshToken?: string;
  /** Epoch ms of the access token's expiry; null when the entry records none. */
  expiresAt: number | null;
  /** Which of the client's stores held it, in the client's words ("keyring", "file", "keychain"). */
  store?: string;
}

/** An entry read and written while the client's own refresh lock is held (`withLock`). */
export interface HeldEntry {
  read(): Promise<ClientEntry | undefined>;
  /**
   * Gives the entry `read` found the tokens of `credential` (access and refresh token, expiry),
   * keeping every other field as the client wrote it (names, client id, scopes): what the client's
   * own refresh would have written. Throws when there is no entry any more (a removed login is not
   * brought back by a refresh). Resolves to a warning when the tokens were written but something
   * around them was not.
   */
  updateTokens(credential: StoredCredential): Promise<string | undefined>;
}

export interface WriteContext {
  /** Where the protected resource metadata was found (clients that re-discover from it keep it). */
  resourceMetadataUrl?: string;
  /** `login --write-config`: add settings the client's config lacks instead of only saying which. */
  writeConfig?: boolean;
  /**
   * The authorization server's token endpoint, as the login used it. For clients that store it
   * instead of re-discovering it (Gemini CLI); an adapter that needs it and does not get it
   * discovers it from the credential's issuer.
   */
  tokenEndpoint?: string;
}

export interface WriteOutcome {
  /** Where the copy went, for the user; absent when the adapter declined to write (see notices). */
  location?: string;
  /** What the user should know: advice, a refusal, a warning about leftovers. */
  notices: ClientNotice[];
}

export interface Usability {
  /** The client will use its copy now, or can renew it by itself. */
  loggedIn: boolean;
  /** The client can renew it by itself, with what it has stored and configured. */
  refreshCapable: boolean;
  /** When not refresh-capable or not logged in: why, and what to do. */
  reason?: string;
}

export interface UsabilityContext {
  now: number;
  /** The bridge's entry for the server's URL, when there is one (it says whether the client is confidential). */
  ours?: StoredCredential;
}

export interface ClientAdapter<Config = unknown> {
  readonly id: ClientName;
  /** For people: "Codex", "Claude Code". */
  readonly label: string;
  /** For help texts: where the client's servers are configured and its copy goes, e.g. "mcpServers.<name>". */
  readonly configHint?: string;

  /** Every server the client has configured with a URL, as written, and the configs it could not read. */
  discover(): Promise<ClientDiscovery>;

  /** The client's copy of a login, without taking its lock (status, logout's "same login" check). */
  read(server: ConfiguredServer<Config>): Promise<ClientEntry | undefined>;

  /**
   * Writes a fresh login where the client reads it first, in its format, under its locks, replacing
   * whatever it held for that server. Throws when it cannot (the caller reports `write-failed`).
   */
  write(server: ConfiguredServer<Config>, credential: StoredCredential, context: WriteContext): Promise<WriteOutcome>;

  /** Removes the client's copy; resolves to where it was removed from, or undefined when there was none. */
  delete(server: ConfiguredServer<Config>): Promise<string | undefined>;

  /**
   * Runs `fn` holding the lock the client itself holds across a refresh of this server's login:
   * nothing `fn` reads can change under it, and a refresh by the client waits for `fn` and then
   * starts from what `fn` wrote. Lock waits are bounded by the adapter's `lockWaitMs`.
   */
  withLock<T>(server: ConfiguredServer<Config>, fn: (held: HeldEntry) => Promise<T>): Promise<T>;

  /** Whether the client will use `entry`, and refresh it by itself, by the client's own rules and config. */
  usability(server: ConfiguredServer<Config>, entry: ClientEntry, context: UsabilityContext): Usability;

  /**
   * `login --write-config` after a login another host process completed: adds to the client's
   * config what a `settings-missing` notice about `serverName` asked for. Absent for clients whose
   * config never needs anything from us.
   */
  applyAdvice?(serverName: string, credential: StoredCredential): Promise<ClientNotice>;

  /**
   * A preflight, before the browser opens: could a login's copy be written for this server? A
   * notice (kind `store-unwritable` or `config-unreadable`) saying why not; undefined when it could.
   * Writes nothing.
   */
  checkWritable(server: ConfiguredServer<Config>): Promise<ClientNotice | undefined>;

  /** For a `not-configured` notice: how to configure `url` in this client, in its own terms. */
  notConfiguredHint(url: string): string;
}

/** What every adapter is built with; each takes what applies to it. */
export interface AdapterOptions {
  /** Default: process.env (homes, config dirs and their overrides). */
  env?: NodeJS.ProcessEnv;
  /** Where project-scoped configs are looked for; default: the current directory. */
  projectDir?: string;
  platform?: NodeJS.Platform;
  /** How long to wait for a lock the client holds, in ms; default: the adapter's own. */
  lockWaitMs?: number;
  now?: () => number;
}

/** A notice of `kind` about `server` of `client`. */
export function notice(target: ClientName, kind: ClientNoticeKind, message: string, server?: string): ClientNotice {
  return { target, kind, ...(server !== undefined ? { server } : {}), message };
}

import type { StoredRegistration } from './stored-registration';

/**
 * What the host keeps per MCP server after a login: everything a later refresh needs, and
 * nothing it can look up again cheaply. Times are epoch milliseconds, as Codex and Claude Code
 * store them.
 */
export interface StoredCredential {
  /** The MCP server (protected resource) URL the user logged in to, as given. */
  serverUrl: string;
  /** RFC 8707 resource indicator sent on authorize, token and refresh requests. */
  resource: string;
  /** The authorization server's issuer identifier, verbatim from its metadata. */
  issuer: string;
  clientId: string;
  /** Only for clients that have one (Google desktop clients, confidential DCR results). */
  clientSecret?: string;
  /** How the client authenticates at the token endpoint. */
  tokenEndpointAuthMethod: 'none' | 'client_secret_post' | 'client_secret_basic';
  accessToken: string;
  tokenType: string;
  refreshToken?: string;
  /** Epoch ms when the access token expires; null when the server gave no expires_in. */
  expiresAt: number | null;
  /** Space-separated granted scopes (or the requested ones when the server did not say). */
  scope: string;
  /** Epoch ms of the last write, for status. */
  updatedAt: number;
  /** Set when a refresh was refused (invalid_grant): the user must log in again. */
  loginNeeded?: boolean;
  /** The client was registered dynamically for this login: reused by the next one (stored-registration.ts). */
  registration?: StoredRegistration;
  /**
   * The authorization server's token endpoint, from its metadata at login (or the last discovery):
   * a refresh is then one request. Looked up again only when that endpoint answers as if it moved;
   * an entry without it (written by an older version) is discovered once and stored with it.
   */
  tokenEndpoint?: string;
  /** The metadata's `id_token_signing_alg_values_supported`, for an ID token in a refresh response. */
  idTokenSigningAlgs?: string[];
  /**
   * Which account the login is for ("you@example.com"), from the ID token or userinfo at login
   * (shared/account.ts); shown by status and the popup. A name, never a token.
   */
  account?: string;
}

/**
 * The bridge's own store (bridge-store.ts). The clients' copies are not written through this: each
 * client has an adapter (clients/client-adapter.ts) that speaks its format, names and locks.
 */
export interface CredentialTarget {
  readonly name: 'bridge';
  /** Where entries live, for messages (never contains a secret). */
  describe(): string;
  read(serverUrl: string): Promise<StoredCredential | undefined>;
  write(credential: StoredCredential): Promise<void>;
  delete(serverUrl: string): Promise<boolean>;
  list(): Promise<StoredCredential[]>;
  /**
   * Proves, before a login starts, that `write` will succeed; says where entries will go.
   * @throws ProtocolError with the reason and the fix.
   */
  checkWritable?(): Promise<{ location: string }>;
  /**
   * Keeps a credential whose `write` failed somewhere it can be recovered from; returns where.
   * Called after a code was redeemed, when losing the credential would lose the login.
   */
  rescue?(credential: StoredCredential): Promise<string>;
}

/**
 * The bearer token `connect` sends: exactly what `token` would print (validAccessToken: the
 * keychain entry, the 60 s refresh margin, the cross-process refresh lock, the clients' copies
 * after a rotation). Kept in memory while it is outside the margin, so a request costs no keychain
 * read; once inside, the next request refreshes, and requests arriving meanwhile wait for that one
 * refresh instead of starting their own (the lock would serialize them anyway, one store read each).
 */
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { validAccessToken, type AccessTokenOptions } from '../credentials/access-token';
import { needsRefresh } from '../oauth/refresh-margin';
import type { CredentialTarget, StoredCredential } from '../stores/credential';
import { ConnectError } from './rpc-errors';

export interface TokenSourceOptions {
  /** Starts a login when there is none; absent (--no-login): the request fails with the command to run. */
  login?: () => Promise<void>;
  /** Warnings about the clients' copies (stderr). */
  warn: (line: string) => void;
  now?: () => number;
  /** Tests: what validAccessToken gets besides the store. */
  accessTokenOptions?: AccessTokenOptions;
}

const MAX_FAILED_LOGINS = 3;

export class TokenSource {
  readonly serverUrl: string;
  readonly #store: CredentialTarget;
  readonly #options: TokenSourceOptions;
  readonly #now: () => number;
  #cached: StoredCredential | undefined;
  #inFlight: Promise<StoredCredential> | undefined;
  #login: Promise<void> | undefined;
  /** Logins that ended without a credential: after MAX_FAILED_LOGINS, requests fail instead of opening the browser again. */
  #failedLogins = 0;

  constructor(serverUrl: string, store: CredentialTarget, options: TokenSourceOptions) {
    this.serverUrl = serverUrl;
    this.#store = store;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The scopes the login holds (granted, or asked for when the provider did not say). */
  get scope(): string {
    return this.#cached?.scope ?? '';
  }

  /** A valid access token; refreshes (once, for every caller waiting) when it is inside the margin. */
  async token(): Promise<string> {
    const cached = this.#cached;
    if (cached && !needsRefresh(cached, this.#now())) return cached.accessToken;
    return (await this.#fetch()).accessToken;
  }

  /** The server answered 401 to `token`: a fresh one, unless another is already at hand. */
  async afterRefused(token: string): Promise<string> {
    if (this.#cached && this.#cached.accessToken !== token && !needsRefresh(this.#cached, this.#now())) return this.#cached.accessToken;
    return (await this.#fetch(token)).accessToken;
  }

  /** After a new login (step-up) the stored credential is another one: read it again. */
  forget(): void {
    this.#cached = undefined;
  }

  #fetch(refused?: string): Promise<StoredCredential> {
    this.#inFlight ??= this.#read(refused).finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async #read(refused: string | undefined): Promise<StoredCredential> {
    const options = { ...this.#options.accessTokenOptions, ...(refused ? { refused } : {}) };
    try {
      const { credential, warnings } = await validAccessToken(this.#store, this.serverUrl, options);
      for (const warning of warnings) this.#options.warn(warning);
      this.#cached = credential;
      return credential;
    } catch (error) {
      this.#cached = undefined;
      if (!(error instanceof ProtocolError)) throw error;
      if (error.code === ErrorCode.NotLoggedIn && this.#options.login && this.#failedLogins < MAX_FAILED_LOGINS) {
        // One login for every request that found none; then the store has it.
        this.#login ??= this.#options
          .login()
          .catch((failure: unknown) => {
            this.#failedLogins += 1;
            throw new ConnectError('not-logged-in', `the login for ${this.serverUrl} did not finish (${(failure as Error).message}); run: mcp-login-bridge login ${this.serverUrl}`);
          })
          .finally(() => (this.#login = undefined));
        await this.#login;
        const { credential } = await validAccessToken(this.#store, this.serverUrl, this.#options.accessTokenOptions);
        this.#cached = credential;
        return credential;
      }
      throw toConnectError(error, this.serverUrl);
    }
  }
}

function toConnectError(error: ProtocolError, serverUrl: string): ConnectError {
  const command = `mcp-login-bridge login ${serverUrl}`;
  if (error.code === ErrorCode.NotLoggedIn) return new ConnectError('not-logged-in', `not logged in to ${serverUrl}; run: ${command}`);
  if (error.code === ErrorCode.LoginNeeded) return new ConnectError('login-needed', `the login for ${serverUrl} must be renewed (the provider refused its refresh token); run: ${command}`);
  const failure = new ConnectError('unauthorized', `no access token for ${serverUrl}: ${error.message}`);
  // The host's error stays reachable: at start-up a store that cannot be read ends `connect --no-login`.
  failure.cause = error;
  return failure;
}

/**
 * One login, in two halves: `begin` discovers the server, picks or registers a client, makes
 * state and the PKCE verifier (kept here, never sent anywhere but the token endpoint) and returns
 * the authorize URL; `complete` takes the callback URL, checks it against the flow, redeems the
 * code and stores the credential. DESIGN.md §3.1 steps 3 and 6. This module keeps the flows and
 * the order of the steps (and their timing); what is done to the callback — its checks, the code
 * exchange, the credential's writes — is `login-completion.ts`.
 */
import * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { LIMITS, type BeginResult, type ClientNotice, type CompleteResult, type StoredTarget, type Warning } from '../../shared/protocol';
import { suggestedGoogleLikeRule } from '../../shared/providers';
import { configPath, type HostConfig } from '../config';
import type { ClientLogins } from '../clients/client-logins';
import type { ClientName } from '../clients/client-adapter';
import { withRefreshLock, type WithRefreshLock } from '../stores/refresh-lock';
import type { CredentialTarget, StoredCredential } from '../stores/credential';
import { buildAuthorizeUrl } from './authorize-url';
import { obtainClient } from './client-registration';
import { checkCallback, credentialForFlow, forgetDisownedRegistration, isDisownedRegistration, redeemCode, writeLogin } from './login-completion';
import { loginAccount } from './login-account';
import { discoverServer } from './discovery';
import { preconnect } from './guarded-fetch';
import { policyFor } from './http-options';
import { PendingFlows, type PendingFlow } from './pending-flows';
import { SettledListeners, type CallbackCarrier, type FlowOutcome, type FlowSettled } from './settled-listeners';

export type { CallbackCarrier, FlowOutcome, FlowSettled } from './settled-listeners';

export interface LoginServiceDeps {
  loadConfig: () => Promise<HostConfig>;
  store: CredentialTarget;
  /** The loopback redirect URI the host listens on (started on demand). */
  redirectUri: () => Promise<string>;
  /** Also writes each login into the local clients that have the server configured (clients/registry.ts). */
  clients?: ClientLogins;
  /**
   * Checks, before anything opens in a browser, that the client stores this login will write (the
   * `--client` targets, or every client with the server configured) can be written: the client
   * adapters' checkWritable (oauth/store-preflight.ts). Without it only the bridge's store is
   * checked, and a client that cannot be written is a notice after the login.
   */
  checkClientStores?: (serverUrl: string, options: BeginOptions) => Promise<void>;
  /** The cross-process refresh lock (stores/refresh-lock.ts); replaceable in tests. */
  withLock?: WithRefreshLock;
  now?: () => number;
}

/** Per-login choices about the local clients; default: every client with the URL configured. */
export interface BeginOptions {
  clients?: ClientName[];
  /** Add settings a client's config lacks (e.g. a client secret) instead of only saying which. */
  writeConfig?: boolean;
  /**
   * Ask for exactly these scopes instead of the discovered ones: a step-up after a server answered
   * 403 `insufficient_scope` asks for what the login holds plus what the server challenged for
   * (MCP authorization, "Scope Challenge Handling").
   */
  scopes?: string[];
}

export class LoginService {
  readonly #flows: PendingFlows;
  readonly #settled = new SettledListeners();
  readonly #deps: LoginServiceDeps;
  readonly #now: () => number;
  readonly #withLock: WithRefreshLock;

  constructor(deps: LoginServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#withLock = deps.withLock ?? withRefreshLock;
    this.#flows = new PendingFlows(this.#now);
  }

  async begin(serverUrl: string, options: BeginOptions = {}): Promise<BeginResult> {
    // The login stored for this server may hold a client registered for it earlier: read while
    // discovery runs. A store that cannot be read (locked keychain, damaged entry) costs only the
    // reuse: the login registers a new client.
    const previousLogin = this.#deps.store.read(serverUrl).catch(() => undefined);
    const config = await this.#deps.loadConfig();
    // Every store the login will write, checked before discovery or a browser: a code redeemed
    // into a store that then refuses it is a login thrown away.
    await this.#deps.store.checkWritable?.();
    await this.#deps.checkClientStores?.(serverUrl, options);
    const discovered = await discoverServer(serverUrl);
    const as = discovered.authorizationServer;
    const redirectUri = await this.#deps.redirectUri();
    const previous = await previousLogin;
    const client = await obtainClient(as, serverUrl, redirectUri, options.scopes ?? discovered.scopes, config, { previous, now: this.#now });
    const scopes = options.scopes ?? client.scopes ?? discovered.scopes;

    const state = oauth.generateRandomState();
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const { url, appliedRules } = buildAuthorizeUrl({
      as,
      clientId: client.clientId,
      redirectUri,
      state,
      codeChallenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      scopes,
      resource: discovered.resource,
      extraRules: config.rules,
      disabledRules: config.disabledRules,
    });
    const expiresAt = this.#now() + LIMITS.flowTtlMs;
    // Got ready now for the flow's end, where they would otherwise stand between the callback and
    // the stored credential: the connection to the token endpoint (the code exchange then pays no
    // lookup, connect or TLS handshake), and which local clients have the server configured (their
    // config files, a dozen reads and parses that do not depend on the tokens). A client configured
    // for the server while the user signs in gets this login at the next one.
    const tokenConnection = as.token_endpoint ? preconnect(new URL(as.token_endpoint), policyFor(serverUrl), { maxAgeMs: LIMITS.flowTtlMs }) : undefined;
    const clientServers = this.#deps.clients?.discover();
    clientServers?.catch(() => undefined);
    this.#flows.add({
      state,
      serverUrl,
      resource: discovered.resource,
      as,
      client,
      codeVerifier,
      redirectUri,
      scopes: url.searchParams.get('scope')?.split(' ').filter(Boolean) ?? scopes,
      appliedRules,
      expiresAt,
      ...(discovered.resourceMetadataUrl ? { resourceMetadataUrl: discovered.resourceMetadataUrl } : {}),
      clientOptions: options,
      ...(tokenConnection ? { tokenConnection } : {}),
      ...(clientServers ? { clientServers } : {}),
    });
    return { state, authorizeUrl: url.href, redirectUri, issuer: as.issuer, appliedRules, expiresAt };
  }

  /** Flows begun and still waiting for their callback (expired ones are not counted). */
  pendingCount(): number {
    return this.#flows.size;
  }

  /**
   * Abandons the waiting flow `state` for its owner (a CLI that went away or timed out): it is
   * forgotten, its callback is then refused as unknown, and no settled event is sent. Returns
   * whether the flow was still waiting.
   */
  cancel(state: string): boolean {
    return this.#flows.cancel(state);
  }

  /** Calls `listener` with every FlowSettled event (settled-listeners.ts). Returns a function that removes it. */
  onSettled(listener: (event: FlowSettled) => void): () => void {
    return this.#settled.add(listener);
  }

  /**
   * Calls `listener` once with how the flow `state` ends, whoever delivers its callback (the
   * extension, the loopback listener, a paste). Returns a function that removes the listener.
   */
  onceSettled(state: string, listener: (outcome: FlowOutcome) => void): () => void {
    return this.#settled.once(state, listener);
  }

  /**
   * Ends the waiting flow `state` with `error` (see PendingFlows.callOff): settled listeners hear
   * it now, and a callback that arrives later gets the same error.
   */
  callOff(state: string, error: ProtocolError): void {
    if (this.#flows.callOff(state, error)) this.#settled.calledOff(state, error);
  }

  /** Redeems a callback for one of this host's flows; `via` is who brought it (settled-listeners.ts). */
  async complete(callbackUrl: string, via?: CallbackCarrier): Promise<CompleteResult> {
    try {
      const result = await this.#complete(callbackUrl);
      this.#settled.completed(callbackUrl, { result }, via);
      return result;
    } catch (error) {
      this.#settled.completed(callbackUrl, { error }, via);
      throw error;
    }
  }

  async #complete(callbackUrl: string): Promise<CompleteResult> {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    let callback: URL;
    try {
      callback = new URL(callbackUrl);
    } catch {
      throw new ProtocolError(ErrorCode.InvalidCallback, 'the callback is not a URL');
    }
    const flow = this.#flows.take(callback.searchParams.get('state'));
    let params: URLSearchParams;
    try {
      params = checkCallback(flow, callback);
    } catch (error) {
      flow.tokenConnection?.close();
      throw error;
    }

    // The code goes to the token endpoint at once, on the connection the flow opened when it began.
    // The server's lock is taken while the endpoint answers, instead of after it: in a real browser
    // each step competes with the callback page for the CPU, and done in sequence they cost several
    // times the exchange. It starts once the request is sent, not before: file operations started
    // with the request held up its connect and write on a busy machine. Which clients have the
    // server configured was read when the flow began: the configs' reads and parses would
    // otherwise fill the thread pool the lock's file operations need, and the event loop the
    // endpoint's answer needs.
    const tokenStarted = performance.now();
    let tokenEndpointMs = 0;
    let requestSent!: () => void;
    const sent = new Promise<void>((resolve) => (requestSent = resolve));
    const redeemed = redeemCode(flow, params, requestSent).finally(() => {
      tokenEndpointMs = performance.now() - tokenStarted;
    });
    // It may fail before it is awaited (the lock taken first, then the exchange refused); the
    // failure is still reported where it is awaited below.
    redeemed.catch(() => undefined);
    await Promise.race([sent, redeemed.then(() => undefined, () => undefined)]);
    const clients = this.#deps.clients;
    const discovered = clients ? (flow.clientServers ?? clients.discover()) : undefined;
    discovered?.catch(() => undefined);
    let storeStarted = 0;
    // Under the server's refresh lock, like every write of its login: a `token` refreshing the
    // previous login at this moment would otherwise store that login's tokens over this one. The
    // lock is taken while the exchange runs, so it also covers the exchange (as a refresh's does).
    // The answer goes as soon as everything is written, not after the lock's file is removed: the
    // release (swallowing its own errors) finishes on its own, and a process that ends keeps
    // running until it has (a pending file operation holds Node's event loop open).
    let written!: (result: { stored: StoredTarget[]; notices: ClientNotice[]; credential: StoredCredential }) => void;
    const writtenEarly = new Promise<{ stored: StoredTarget[]; notices: ClientNotice[]; credential: StoredCredential }>((resolve) => (written = resolve));
    const locked = this.#withLock(flow.serverUrl, async () => {
      let tokens: oauth.TokenEndpointResponse;
      try {
        tokens = await redeemed;
      } catch (error) {
        if (isDisownedRegistration(error)) await forgetDisownedRegistration(this.#deps.store, flow);
        throw error;
      }
      // Which account: from the ID token, or (when it names none people recognise) one bounded
      // userinfo request; never fails the login.
      const account = await loginAccount(flow.as, { client_id: flow.client.clientId }, tokens, policyFor(flow.serverUrl));
      storeStarted = performance.now();
      const credential = credentialForFlow(flow, tokens, account, this.#now());
      const { stored, notices } = await writeLogin(flow, credential, { store: this.#deps.store, clients, discovered });
      written({ stored, notices, credential });
      return { stored, notices, credential };
    });
    const { stored, notices, credential } = await Promise.race([writtenEarly, locked]);
    const storeMs = performance.now() - storeStarted;

    const warning = credential.refreshToken ? undefined : this.#noRefreshTokenWarning(flow);
    return {
      serverUrl: flow.serverUrl,
      issuer: flow.as.issuer,
      ...(credential.account ? { account: credential.account } : {}),
      stored,
      refreshCapable: Boolean(credential.refreshToken),
      expiresAt: credential.expiresAt,
      scope: credential.scope,
      ...(warning ? { warning } : {}),
      ...(notices.length ? { notices } : {}),
      timings: {
        totalMs: round(performance.now() - started),
        tokenEndpointMs: round(tokenEndpointMs),
        storeMs: round(storeMs),
        cpuMs: round(cpuMs(process.cpuUsage(cpuStarted))),
      },
    };
  }

  #noRefreshTokenWarning(flow: PendingFlow): Warning {
    const base = `${flow.as.issuer} issued no refresh token, so this login ends when the access token expires.`;
    const fix = flow.appliedRules.length
      ? ` Rule(s) ${flow.appliedRules.join(', ')} were applied; the provider still refused (check the client's settings at the provider, e.g. offline access enabled).`
      : ` No provider rule matched ${flow.as.issuer}. If it is Google or behaves like it, add a rule for ${new URL(flow.as.issuer).origin} ` +
        `that adds access_type=offline and prompt=consent (in the browser extension, "Add this rule" fills it in), or add ` +
        `${JSON.stringify(suggestedGoogleLikeRule(flow.as.issuer))} to the "rules" array in ${configPath()}; then log in again.`;
    return { code: ErrorCode.NoRefreshToken, name: 'NoRefreshToken', message: base + fix };
  }
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

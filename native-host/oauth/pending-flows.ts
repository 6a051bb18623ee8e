/**
 * Flows the host began and has not finished. The host alone holds each flow's PKCE verifier; a
 * callback is accepted once, for a state issued here, before its deadline (DESIGN.md §5).
 */
import type * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { LIMITS, type ClientName } from '../../shared/protocol';
import type { AdaptedDiscovery } from '../clients/configured-servers';
import type { WarmConnection } from '../http/warm-connection';
import type { FlowClient } from './client-registration';

export interface PendingFlow {
  state: string;
  serverUrl: string;
  resource: string;
  as: oauth.AuthorizationServer;
  client: FlowClient;
  codeVerifier: string;
  redirectUri: string;
  scopes: string[];
  appliedRules: string[];
  expiresAt: number;
  /** Where the protected resource metadata was found, for clients that keep it. */
  resourceMetadataUrl?: string;
  /** Which local clients get this login; see LoginService.begin. */
  clientOptions?: { clients?: ClientName[]; writeConfig?: boolean };
  /** A connection to the token endpoint opened when the flow began, for its code exchange. */
  tokenConnection?: WarmConnection;
  /** The local clients' configured servers, read when the flow began (they do not depend on the tokens). */
  clientServers?: Promise<AdaptedDiscovery>;
}

/** How long a used or expired state is remembered, to say "already used" rather than "unknown". */
const TOMBSTONE_MS = 60 * 60 * 1000;

export class PendingFlows {
  readonly #flows = new Map<string, PendingFlow>();
  readonly #finished = new Map<string, { reason: 'used' | 'expired'; until: number } | { reason: 'called-off'; error: ProtocolError; until: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  add(flow: PendingFlow): void {
    this.#sweep();
    this.#flows.set(flow.state, flow);
  }

  get size(): number {
    this.#sweep();
    return this.#flows.size;
  }

  /**
   * Removes and returns the flow for `state`. The flow is gone whatever happens next, so a code
   * can be redeemed at most once even if the exchange fails half way.
   */
  take(state: string | null): PendingFlow {
    this.#sweep();
    if (!state) throw new ProtocolError(ErrorCode.InvalidCallback, 'the callback URL has no "state" parameter');
    const flow = this.#flows.get(state);
    if (flow) {
      this.#flows.delete(state);
      this.#finished.set(state, { reason: 'used', until: this.#now() + TOMBSTONE_MS });
      return flow;
    }
    const finished = this.#finished.get(state);
    if (finished?.reason === 'used') {
      throw new ProtocolError(ErrorCode.StateAlreadyUsed, 'this login callback was already used; start a new login');
    }
    if (finished?.reason === 'called-off') throw finished.error;
    if (finished?.reason === 'expired') {
      throw new ProtocolError(
        ErrorCode.StateExpired,
        `this login took longer than ${LIMITS.flowTtlMs / 60000} minutes and expired; start a new login`,
      );
    }
    throw new ProtocolError(ErrorCode.UnknownState, 'the callback\'s "state" does not belong to a login this host started');
  }

  /** A flow abandoned by its caller (e.g. Ctrl-C): forget it without a tombstone. Returns whether it was waiting. */
  cancel(state: string): boolean {
    this.#flows.get(state)?.tokenConnection?.close();
    return this.#flows.delete(state);
  }

  /**
   * A flow the host itself calls off because it can no longer trust who will bring its callback:
   * that callback, whoever brings it, gets `error`. Returns whether the flow was still waiting.
   */
  callOff(state: string, error: ProtocolError): boolean {
    this.#sweep();
    this.#flows.get(state)?.tokenConnection?.close();
    if (!this.#flows.delete(state)) return false;
    this.#finished.set(state, { reason: 'called-off', error, until: this.#now() + TOMBSTONE_MS });
    return true;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [state, flow] of this.#flows) {
      if (flow.expiresAt <= now) {
        flow.tokenConnection?.close();
        this.#flows.delete(state);
        this.#finished.set(state, { reason: 'expired', until: now + TOMBSTONE_MS });
      }
    }
    for (const [state, t] of this.#finished) if (t.until <= now) this.#finished.delete(state);
  }
}

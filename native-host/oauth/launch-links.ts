/**
 * One-time launch links for logins opened through the system browser (`login` without the
 * extension). The opener's command line (`xdg-open URL`, `open URL`, `rundll32 … URL`) is readable
 * by every user of the machine, so it must not carry the authorize URL: another user who read its
 * `state` and PKCE challenge could sign in with an account of their own and send that code to our
 * loopback port, and we would store their login as ours (login CSRF).
 *
 * Instead the browser is sent to `http://127.0.0.1:<port>/start/<nonce>`. The first visit gets the
 * authorize URL (a redirect) and a cookie that only this login's callback accepts; whoever reads
 * the link in the process list gets nothing a callback can use without that cookie. Where the
 * listener cannot tell who visits (not Linux), a second visit means two parties may hold the link,
 * and nobody can tell which one is the user: the login is called off, and its callback is refused
 * whoever brings it. On Linux the listener serves only this user's programs, so a second visit is
 * the user's own and is answered like the first.
 *
 * Pure bookkeeping; loopback-listener.ts speaks HTTP.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { LIMITS } from '../../shared/protocol';

export const START_PATH = '/start/';

interface Launch {
  state: string;
  authorizeUrl: string;
  cookieName: string;
  cookieValue: string;
  opened: boolean;
  expiresAt: number;
}

/** What the listener answers to a visit of a start link. */
export type StartAnswer =
  | { kind: 'redirect'; location: string; setCookie: string }
  /** The link was already opened once: the login `state` is called off. */
  | { kind: 'reused'; state: string }
  | { kind: 'unknown' };

/** Whether a callback for `state` may go on to the token exchange. */
export type CallbackCheck = 'not-launched' | 'accepted' | 'refused';

export class LaunchLinks {
  readonly #byNonce = new Map<string, Launch>();
  readonly #byState = new Map<string, Launch>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Registers the login `state`; returns the path (under the listener's origin) to open instead. */
  create(state: string, authorizeUrl: string): string {
    this.#sweep();
    const nonce = randomBytes(16).toString('base64url');
    const launch: Launch = {
      state,
      authorizeUrl,
      // Cookies are shared by every port of 127.0.0.1: one name per login keeps two CLI logins apart.
      cookieName: `mlb_login_${randomBytes(6).toString('hex')}`,
      cookieValue: randomBytes(32).toString('base64url'),
      opened: false,
      expiresAt: this.#now() + LIMITS.flowTtlMs,
    };
    this.#byNonce.set(nonce, launch);
    this.#byState.set(state, launch);
    return `${START_PATH}${nonce}`;
  }

  /**
   * A visit of `START_PATH + nonce`. `visitorIsUser`: the listener has checked that the visitor
   * runs as this user (Linux, loopback-peer.ts). Then a second visit is no sign of a second party,
   * only of the same person or their desktop opening the link again (a click on the link the
   * terminal printed, an opener that looks at the page first), and it gets the same answer.
   */
  open(nonce: string, { visitorIsUser = false }: { visitorIsUser?: boolean } = {}): StartAnswer {
    this.#sweep();
    const launch = this.#byNonce.get(nonce);
    if (!launch) return { kind: 'unknown' };
    if (launch.opened && !visitorIsUser) {
      this.#byNonce.delete(nonce);
      // The state stays registered with no valid cookie left, so its callback is refused.
      launch.cookieValue = '';
      return { kind: 'reused', state: launch.state };
    }
    launch.opened = true;
    const maxAge = Math.max(1, Math.ceil((launch.expiresAt - this.#now()) / 1000));
    // Path=/callback: sent back only with the callback. SameSite=Lax: a top-level GET from the
    // provider's redirect carries it; nothing a page embeds or posts does.
    const setCookie = `${launch.cookieName}=${launch.cookieValue}; Path=/callback; Max-Age=${maxAge}; HttpOnly; SameSite=Lax`;
    return { kind: 'redirect', location: launch.authorizeUrl, setCookie };
  }

  /** Checks a callback's `Cookie` header against the login its `state` names. */
  checkCallback(state: string | null, cookieHeader: string | undefined): CallbackCheck {
    this.#sweep();
    const launch = state === null ? undefined : this.#byState.get(state);
    if (!launch) return 'not-launched';
    const sent = readCookie(cookieHeader ?? '', launch.cookieName);
    if (!launch.cookieValue || sent === undefined) return 'refused';
    const a = Buffer.from(sent);
    const b = Buffer.from(launch.cookieValue);
    return a.length === b.length && timingSafeEqual(a, b) ? 'accepted' : 'refused';
  }

  /** The login is over (done, failed or called off): its link and cookie are no longer needed. */
  forget(state: string): void {
    const launch = this.#byState.get(state);
    if (!launch) return;
    this.#byState.delete(state);
    for (const [nonce, l] of this.#byNonce) if (l === launch) this.#byNonce.delete(nonce);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [state, launch] of this.#byState) if (launch.expiresAt <= now) this.forget(state);
  }
}

function readCookie(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

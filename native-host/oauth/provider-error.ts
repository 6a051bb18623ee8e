/**
 * The one way a provider's error answer becomes part of our messages, for every OAuth step: the
 * authorization response (RFC 6749 §4.1.2.1), the code exchange and the refresh (RFC 6749 §5.2),
 * revocation (RFC 7009 §2.2.1), dynamic registration (RFC 7591 §3.2.2), and a `WWW-Authenticate`
 * challenge from any of them (RFC 6750 §3). oauth4webapi hands these over as
 * `AuthorizationResponseError` / `ResponseBodyError` / `WWWAuthenticateChallengeError`, each with
 * the provider's `error` and `error_description`.
 *
 * What PROTOCOL.md promises: the provider's error code is always kept (a user can search for it,
 * a script can act on it), its text is cut to a bounded length of printable ASCII on one line (a
 * provider, or a network attacker posing as one, may not drive the terminal the message lands on,
 * spoof a second line or fill a screen), and a secret that went out in the request a provider
 * chose to echo back (the refresh token it refuses, say) is masked before anything is shown.
 */
import * as oauth from 'oauth4webapi';

/** RFC 6749 codes are short ASCII words; a longer one is cut here. */
export const MAX_ERROR_CODE_LENGTH = 100;
/** Enough for a sentence of explanation, not for a page. */
export const MAX_ERROR_DESCRIPTION_LENGTH = 300;

/** What a provider said, as oauth4webapi parsed it. */
export interface ProviderError {
  /** The `error` code (`invalid_grant`, `access_denied`, …). */
  error: string;
  error_description?: string;
  /** The HTTP status of the answer; absent for an authorization response (a redirect). */
  status?: number;
}

/**
 * The provider's error in an oauth4webapi error, or undefined when the failure is not a provider's
 * answer (a network error, a malformed response: those messages are oauth4webapi's own).
 */
export function providerErrorOf(err: unknown): ProviderError | undefined {
  if (err instanceof oauth.ResponseBodyError) {
    return { error: err.error, error_description: err.error_description, status: err.status };
  }
  if (err instanceof oauth.AuthorizationResponseError) {
    return { error: err.error, error_description: err.error_description };
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    // The challenge that carries an error code; a bearer one first (RFC 6750 §3).
    const withError = err.cause.filter((c) => typeof c.parameters.error === 'string');
    const challenge = withError.find((c) => c.scheme === 'bearer') ?? withError[0];
    if (!challenge) return undefined;
    return { error: challenge.parameters.error!, error_description: challenge.parameters.error_description, status: err.status };
  }
  return undefined;
}

/**
 * Renders a provider's error: `code: description (HTTP 400)`, each part bounded, printable ASCII
 * only. `sent` lists the secrets the request carried (token, code, verifier, client secret): any of
 * them the provider echoed back is replaced by `[redacted]` before the text is cut, so no part of
 * one survives either.
 */
export function renderProviderError(problem: ProviderError, sent: readonly (string | undefined)[] = []): string {
  const code = printable(masked(problem.error, sent), MAX_ERROR_CODE_LENGTH) || '(no error code)';
  const description = problem.error_description ? printable(masked(problem.error_description, sent), MAX_ERROR_DESCRIPTION_LENGTH) : '';
  const status = problem.status === undefined ? '' : ` (HTTP ${problem.status})`;
  return `${code}${description ? `: ${description}` : ''}${status}`;
}

/**
 * The text for any failure of an OAuth step: the provider's error rendered as above when it sent
 * one, else the error's own message (oauth4webapi's and our network layer's name no secret).
 */
export function oauthFailureText(err: unknown, sent: readonly (string | undefined)[] = []): string {
  const problem = providerErrorOf(err);
  if (problem) return renderProviderError(problem, sent);
  return err instanceof Error ? err.message : String(err);
}

function masked(text: string, sent: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of sent) {
    if (!secret) continue;
    // As sent in a form body or query, and as it is.
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('[redacted]');
  }
  return out;
}

/**
 * Any text a provider chose, as it goes into a message: one line of printable ASCII (controls, DEL,
 * C1, bidi and all non-ASCII become spaces), cut to `max`.
 */
export function printable(text: string, max: number = MAX_ERROR_DESCRIPTION_LENGTH): string {
  const line = text.replace(/[^\x20-\x7E]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

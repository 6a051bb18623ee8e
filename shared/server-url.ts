/**
 * The one check of an MCP server URL, wherever one comes in: typed in the popup, given to the CLI,
 * sent over the wire (`begin`, `logout`, the bridge's `login`) and before discovery. Each of them
 * gives the same verdict for the same URL, and turns a refusal into its own kind of error (a popup
 * message, a usage error, a numbered protocol error) from the `kind`, never from the text.
 *
 * Pure string work (URL only), so both programs and `token`'s small bundle can load it.
 */
import { isSecureOrLoopback } from './loopback';
import { hasOnlyUriChars } from './url-chars';

/** Every URL field of the protocol, and the CLI's server argument (PROTOCOL.md, "Limits"). */
export const MAX_URL_LENGTH = 8 * 1024;

export type ServerUrlProblem =
  /** Longer than MAX_URL_LENGTH: checked first, so a huge value costs nothing more. */
  | 'too-long'
  /** Not an absolute URL at all. */
  | 'not-a-url'
  /** Not http or https (ftp:, file:, javascript:, …). */
  | 'not-http'
  /** Plain http to a host that is not loopback: tokens would cross the network in the clear. */
  | 'insecure-http'
  /** A user name or password (`user:pass@`): it would be kept as the server's name in every store. */
  | 'credentials'
  /** A fragment (`#…`): RFC 8707 §2 and RFC 9728 §1.2 forbid one in a resource identifier. */
  | 'fragment'
  /** Characters outside RFC 3986 (`|`, `^`, `{`, a bare `%`): the host refuses to request such URLs. */
  | 'uri-chars';

/** A refused server URL. The message never quotes the URL: it may hold a password, or be huge. */
export class ServerUrlError extends Error {
  constructor(
    readonly kind: ServerUrlProblem,
    message: string,
  ) {
    super(message);
    this.name = 'ServerUrlError';
  }
}

const EXAMPLE = 'e.g. https://example.com/mcp';

/**
 * Checks an MCP server URL and returns it parsed; the caller keeps using the text as given (a
 * server's name in every store is the URL exactly as the user wrote it).
 *
 * @throws ServerUrlError whose `kind` says what is wrong and whose message says what to do.
 */
export function checkServerUrl(value: string): URL {
  const tooLong = serverUrlLengthProblem(value);
  if (tooLong) throw tooLong;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ServerUrlError('not-a-url', `the server URL is not an absolute URL; give the MCP server's full URL, ${EXAMPLE}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    // The scheme is letters, digits, "+", "-" and "." (RFC 3986 §3.1): safe to name.
    throw new ServerUrlError('not-http', `the server URL must be an https URL, not a ${url.protocol} URL; ${EXAMPLE}`);
  }
  if (url.username || url.password) {
    throw new ServerUrlError('credentials', 'the server URL must not hold a user name or password (the part before "@"); give it without them');
  }
  if (!isSecureOrLoopback(url)) {
    // The path is named too (the user must see which URL was refused); the URL parser has
    // percent-encoded anything unprintable in it, and the query is left out.
    throw new ServerUrlError(
      'insecure-http',
      `the server URL must use https (plain http is allowed only for 127.0.0.1, localhost and [::1]); got http://${url.host}${url.pathname === '/' ? '' : url.pathname}`,
    );
  }
  if (url.hash || value.includes('#')) {
    throw new ServerUrlError('fragment', 'the server URL must not hold a fragment (the part from "#"); give it without one');
  }
  if (!hasOnlyUriChars(url.href)) {
    throw new ServerUrlError(
      'uri-chars',
      'the server URL holds characters a URL may not contain (RFC 3986: only unreserved and reserved characters and %XX escapes); percent-encode them',
    );
  }
  return url;
}

/**
 * The length rule alone, for a value that may not be a URL yet (the CLI's argument may name a
 * configured server instead): checked before the value is echoed, looked up or sent anywhere.
 */
export function serverUrlLengthProblem(value: string): ServerUrlError | undefined {
  if (value.length <= MAX_URL_LENGTH) return undefined;
  return new ServerUrlError('too-long', `the server URL is ${value.length} characters long; at most ${MAX_URL_LENGTH} are accepted`);
}

/** The verdict alone: undefined for a URL the check takes. */
export function serverUrlProblem(value: string): ServerUrlError | undefined {
  try {
    checkServerUrl(value);
    return undefined;
  } catch (err) {
    if (err instanceof ServerUrlError) return err;
    throw err;
  }
}

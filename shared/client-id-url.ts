/**
 * The rules a Client ID Metadata Document URL must follow to be a client_id (MCP authorization
 * spec, "Client ID Metadata Documents"; draft-ietf-oauth-client-id-metadata-document): https, a
 * path beyond "/", no fragment, no user name or password, no "." or ".." path segments. Checked on
 * the text as written: URL parsing would quietly resolve dot segments, and the authorization server
 * compares the document's `client_id` with the exact string it was sent.
 */

/** Why `value` cannot be a client_id document URL, or undefined when it can. */
export function clientIdUrlProblem(value: string): string | undefined {
  if (!/^https:\/\//.test(value)) return 'must be an https:// URL';
  if (/[\x00-\x20\x7F\\]/.test(value)) return 'must not hold spaces, control characters or backslashes';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid URL';
  }
  if (url.username || url.password) return 'must not hold a user name or password';
  if (value.includes('#')) return 'must not hold a fragment ("#…")';
  const afterScheme = value.slice('https://'.length);
  const pathStart = afterScheme.search(/[/?#]/);
  const rawPath = pathStart !== -1 && afterScheme[pathStart] === '/' ? afterScheme.slice(pathStart).split('?')[0]! : '';
  if (rawPath === '' || rawPath === '/') return 'must have a path naming the document, e.g. https://example.com/mcp-login-bridge.json';
  if (rawPath.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) return 'must not hold "." or ".." path segments';
  // The server compares byte for byte: the URL must already be in the form a parser would produce.
  if (url.href !== value) return `must be written in normalized form (${url.href})`;
  return undefined;
}

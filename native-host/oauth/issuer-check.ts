/**
 * RFC 9207 validation of an authorization response, by the table in the MCP authorization spec
 * (2026-07-28, "Authorization Response Validation"), applied before the code goes anywhere.
 */
import type * as oauth from 'oauth4webapi';

/**
 * The MCP authorization spec's RFC 9207 table: a present `iss` must equal the recorded issuer
 * (simple string comparison, whatever the metadata says); an absent one is refused only when the
 * server advertises `authorization_response_iss_parameter_supported`. Returns why the response is
 * refused, or undefined. A repeated `iss` is refused too: which one counts would be a guess.
 */
export function issuerProblem(as: oauth.AuthorizationServer, params: URLSearchParams): string | undefined {
  const values = params.getAll('iss');
  if (values.length > 1) return `the callback holds "iss" ${values.length} times`;
  const iss = values[0];
  if (iss === undefined) {
    return as.authorization_response_iss_parameter_supported === true
      ? `the callback has no "iss", though ${as.issuer} advertises authorization_response_iss_parameter_supported`
      : undefined;
  }
  return iss === as.issuer ? undefined : `the callback's "iss" does not match ${as.issuer}`;
}

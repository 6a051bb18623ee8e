/**
 * The checks of a callback against the flow it names, before its code goes anywhere: it came to the
 * flow's redirect URI, its issuer is the flow's (RFC 9207), and it is a valid authorization response
 * for the flow's state (RFC 6749 §4.1.2), or the provider's refusal.
 */
import * as oauth from 'oauth4webapi';
import { ErrorCode, ProtocolError } from '../../shared/errors';
import { issuerProblem } from './issuer-check';
import type { PendingFlow } from './pending-flows';
import { oauthFailureText } from './provider-error';

function asMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Returns the callback's parameters for the code exchange, or throws the protocol error that says what is wrong. */
export function checkCallback(flow: PendingFlow, callback: URL): URLSearchParams {
  if (callback.origin + callback.pathname !== flow.redirectUri) {
    throw new ProtocolError(ErrorCode.InvalidCallback, `the callback went to ${callback.origin}${callback.pathname}, not to this login's redirect URI`);
  }
  const client = { client_id: flow.client.clientId };
  // Checked here rather than inferred from the library's message: a mix-up must be named as such.
  const problem = issuerProblem(flow.as, callback.searchParams);
  if (problem) {
    // The response may be an attacker's: its error, error_description and error_uri are not
    // shown or acted on (MCP authorization, "Authorization Response Validation").
    throw new ProtocolError(ErrorCode.IssuerResponseMismatch, `${problem} (RFC 9207): possible mix-up attack, login refused`);
  }
  try {
    return oauth.validateAuthResponse(flow.as, client, callback.searchParams, flow.state);
  } catch (err) {
    if (err instanceof oauth.AuthorizationResponseError) {
      throw new ProtocolError(ErrorCode.AuthorizationDenied, `the provider refused the login: ${oauthFailureText(err)}`);
    }
    throw new ProtocolError(ErrorCode.InvalidCallback, `the callback is not a valid authorization response: ${asMessage(err)}`);
  }
}
